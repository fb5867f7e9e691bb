"""Client options: every CLI flag, with its environment variable where one is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr

from ocrkit.settings import ModelOverrides

EngineName = Literal["auto", "openai", "legacy", "vllm", "tesseract"]
Language = Literal["russian", "english", "auto"]


class OcrOptions(ModelOverrides):
    engine: EngineName = Field("auto", validation_alias="OCRKIT_ENGINE")
    # The profile: SERVING_PROFILE is shared with the server side; OCRKIT_PROFILE wins.
    profile: str = Field(
        "qwen2-vl-2b", validation_alias=AliasChoices("OCRKIT_PROFILE", "SERVING_PROFILE")
    )
    url: str = Field(
        "http://localhost:8001", validation_alias=AliasChoices("OCRKIT_URL", "QWEN_REMOTE_URL")
    )
    api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OCRKIT_API_KEY", "OPENAI_API_KEY")
    )
    model: str | None = Field(None, validation_alias="OCRKIT_MODEL")
    language: Language = "russian"
    prompt: str | None = None
    max_tokens: int | None = Field(None, gt=0)
    concurrency: int | None = Field(None, gt=0, validation_alias="OCRKIT_CONCURRENCY")
    timeout: float = Field(300, gt=0, validation_alias="OCRKIT_TIMEOUT")
    # How long a page keeps retrying a server that went away (restart, overload).
    retry_budget: float = Field(300, ge=0, validation_alias="OCRKIT_RETRY_BUDGET")
    # Extra attempts, at rising temperature, for a reply that loops or hits max_tokens.
    quality_retries: int = Field(2, ge=0, validation_alias="OCRKIT_QUALITY_RETRIES")
    resume: bool = True
    cache_dir: Path = Field(Path.home() / ".cache" / "ocrkit", validation_alias="OCRKIT_CACHE_DIR")
    # In-process vLLM: extra LLM(...) keyword arguments as JSON, e.g. {"enforce_eager": true}.
    vllm_args: str = Field("{}", validation_alias="OCRKIT_VLLM_ARGS")
