"""Settings read from the environment, one object per concern:

- `ConfigSettings`: where profiles are found (OCRKIT_CONFIGS);
- `ModelOverrides`: which model a profile serves, under which name (server side);
- `VllmOverrides`: the vLLM knobs a deployment may change, shared by `serving run` and the
  in-process `vllm` engine, so both start vLLM the same way.

The client's own options are `ocrkit.options.OcrOptions`; the launcher's and the adapter's
extend these in `serving.settings` and `adapter.settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from ocrkit.model.profiles import ModelProfile


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


class ConfigSettings(EnvSettings):
    """Extra folders of profiles (`os.pathsep`-separated), searched before the built-ins."""

    configs: str = Field("", validation_alias="OCRKIT_CONFIGS")

    @property
    def folders(self) -> list[Path]:
        return [Path(p) for p in self.configs.split(os.pathsep) if p]


class ModelOverrides(EnvSettings):
    """SERVING_MODEL replaces any profile's model; QWEN_MODEL / DEEPSEEK_MODEL, the original
    deployment's names, replace it for the profiles whose `model_setting` names them.
    SERVED_MODEL_NAME is the name clients use for it."""

    profile: str = Field("qwen2-vl-2b", validation_alias="SERVING_PROFILE")
    serving_model: str | None = Field(None, validation_alias="SERVING_MODEL")
    qwen_model: str | None = Field(None, validation_alias="QWEN_MODEL")
    deepseek_model: str | None = Field(None, validation_alias="DEEPSEEK_MODEL")
    served_model_name: str | None = Field(None, validation_alias="SERVED_MODEL_NAME")

    def model_for(self, profile: ModelProfile) -> str:
        return self.serving_model or getattr(self, profile.model_setting) or profile.vllm.model

    def served_name_for(self, profile: ModelProfile) -> str:
        return self.served_model_name or profile.vllm.served_model_name or self.model_for(profile)


class VllmOverrides(ModelOverrides):
    """What a deployment may change in a profile's `[vllm]` section."""

    gpu_memory_utilization: float | None = Field(
        None, gt=0, le=1, validation_alias="GPU_MEMORY_UTILIZATION"
    )
    max_model_len: int | None = Field(None, gt=0, validation_alias="MAX_MODEL_LEN")
    max_num_seqs: int | None = Field(None, gt=0, validation_alias="MAX_NUM_SEQS")
    kv_cache_dtype: str | None = Field(None, validation_alias="KV_CACHE_DTYPE")
    # Extra `vllm serve` arguments, shell-quoted; appended last so they win.
    extra_args: str = Field("", validation_alias="SERVING_EXTRA_ARGS")
    # A folder of weights laid out by model id (<dir>/Qwen/Qwen2-VL-2B-Instruct/config.json):
    # a model found there is served from it with the Hub offline.
    models_dir: str | None = Field(None, validation_alias="SERVING_MODELS_DIR")

    # Each value a deployment may override is decided here, once, for `serving` and the
    # in-process engine alike.
    def kv_cache_dtype_for(self, profile: ModelProfile) -> str:
        return self.kv_cache_dtype or profile.vllm.kv_cache_dtype

    def max_num_seqs_for(self, profile: ModelProfile) -> int:
        return self.max_num_seqs or profile.vllm.max_num_seqs

    def local_weights_for(self, profile: ModelProfile) -> tuple[str, bool]:
        """What vLLM loads: the profile's model, or its copy under SERVING_MODELS_DIR
        (True when that copy is used)."""
        model = self.model_for(profile)
        if self.models_dir and not Path(model).is_absolute():
            local = Path(self.models_dir) / model
            if (local / "config.json").is_file():
                return str(local), True
        return model, False
