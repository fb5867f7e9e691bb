"""Client options: every CLI flag, each also read from OCRKIT_<OPTION> (OCRKIT_LANGUAGE,
OCRKIT_MAX_TOKENS, ...) and the seed client's QWEN_REMOTE_URL; nothing unprefixed.

An unknown option is an error (`OcrOptions(engnie="openai")` raises). The server side's
settings (SERVING_PROFILE, SERVED_MODEL_NAME, ...) are not read here: the client names its
profile with OCRKIT_PROFILE and the server's model name with OCRKIT_MODEL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ocrkit.gate import Route
from ocrkit.quality import RETRY_TEMPERATURES
from ocrkit.settings import EnvSettings

EngineName = Literal["auto", "openai", "legacy", "vllm", "tesseract"]
Language = Literal["russian", "english", "auto"]


class OcrOptions(EnvSettings):
    # Read from the environment only as OCRKIT_<OPTION> (or a documented alias): a desktop's
    # LANGUAGE=en_US:en or a stray MAX_TOKENS must never reach an option.
    model_config = SettingsConfigDict(extra="forbid", env_prefix="OCRKIT_")

    engine: EngineName = Field("auto", validation_alias="OCRKIT_ENGINE")
    profile: str = Field("qwen2-vl-2b", validation_alias="OCRKIT_PROFILE")
    url: str = Field(
        "http://localhost:8001", validation_alias=AliasChoices("OCRKIT_URL", "QWEN_REMOTE_URL")
    )
    api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OCRKIT_API_KEY", "OPENAI_API_KEY")
    )
    # The model's name on the server; default: the profile's served name or model id.
    model: str | None = Field(None, validation_alias="OCRKIT_MODEL")
    # Picks the prompt where the profile's prompts are keyed by language (Qwen2-VL).
    language: Language = "russian"
    # auto: each PDF page from its own text layer where the gate trusts it, else OCR;
    # ocr: OCR every page; text: the text layer only, never OCR.
    route: Route = Field("auto", validation_alias="OCRKIT_ROUTE")
    # Picks the prompt by name where the profile has prompt types (DeepSeek-OCR).
    prompt_type: str | None = None
    prompt: str | None = None
    max_tokens: int | None = Field(None, gt=0)
    concurrency: int | None = Field(None, gt=0, validation_alias="OCRKIT_CONCURRENCY")
    timeout: float = Field(300, gt=0, validation_alias="OCRKIT_TIMEOUT")
    # How long a page keeps retrying a server that went away (restart, overload).
    retry_budget: float = Field(300, ge=0, validation_alias="OCRKIT_RETRY_BUDGET")
    # Extra attempts, at rising temperature, for a reply that loops or hits max_tokens.
    quality_retries: int = Field(
        2, ge=0, le=len(RETRY_TEMPERATURES), validation_alias="OCRKIT_QUALITY_RETRIES"
    )
    resume: bool = True
    cache_dir: Path = Field(Path.home() / ".cache" / "ocrkit", validation_alias="OCRKIT_CACHE_DIR")
