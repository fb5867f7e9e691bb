"""Settings shared by every piece that needs to know which model is served under which name."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ocrkit.profiles import ModelProfile


class ModelOverrides(BaseSettings):
    """QWEN_MODEL / DEEPSEEK_MODEL replace a profile's model (which one applies is the
    profile's `model_setting`); SERVED_MODEL_NAME is the name clients use for it."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    profile: str = Field("qwen2-vl-2b", validation_alias="SERVING_PROFILE")
    qwen_model: str | None = Field(None, validation_alias="QWEN_MODEL")
    deepseek_model: str | None = Field(None, validation_alias="DEEPSEEK_MODEL")
    served_model_name: str | None = Field(None, validation_alias="SERVED_MODEL_NAME")

    def model_for(self, profile: ModelProfile) -> str:
        return getattr(self, profile.model_setting) or profile.vllm.model

    def served_name_for(self, profile: ModelProfile) -> str:
        return self.served_model_name or profile.vllm.served_model_name or self.model_for(profile)
