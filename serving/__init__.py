"""serving: launch vLLM for a model profile, with the attention backend this GPU can run."""

from serving.attention import AttentionDecision, AttentionError, decide
from serving.plan import Plan, build_plan
from serving.settings import ServingSettings

__all__ = ["AttentionDecision", "AttentionError", "Plan", "ServingSettings", "build_plan", "decide"]
