"""Settings shared by every piece that needs to know which model is served under which name."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ocrkit.profiles import ModelProfile


class EnvSettings(BaseSettings):
    """Base of every settings object: a variable set to "" or only white space counts as
    unset. Compose writes `${VAR:-}` as an empty string, and `.env.example` leaves optional
    keys empty; read as values, an empty key would lock every caller out."""

    # env_ignore_empty skips "" at the source, so the next alias of a setting still counts.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, env_ignore_empty=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        # Surrounding white space (a key pasted with its newline) is never part of a value.
        if isinstance(data, dict):
            stripped = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
            return {k: v for k, v in stripped.items() if v != ""}
        return data


class ModelOverrides(EnvSettings):
    """QWEN_MODEL / DEEPSEEK_MODEL replace a profile's model (which one applies is the
    profile's `model_setting`); SERVED_MODEL_NAME is the name clients use for it."""

    profile: str = Field("qwen2-vl-2b", validation_alias="SERVING_PROFILE")
    qwen_model: str | None = Field(None, validation_alias="QWEN_MODEL")
    deepseek_model: str | None = Field(None, validation_alias="DEEPSEEK_MODEL")
    served_model_name: str | None = Field(None, validation_alias="SERVED_MODEL_NAME")

    def model_for(self, profile: ModelProfile) -> str:
        return getattr(self, profile.model_setting) or profile.vllm.model

    def served_name_for(self, profile: ModelProfile) -> str:
        return self.served_model_name or profile.vllm.served_model_name or self.model_for(profile)
