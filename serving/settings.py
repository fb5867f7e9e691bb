"""Launcher settings, read from the environment (names kept from the original deployment)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr

from ocrkit.profiles import ModelProfile
from ocrkit.settings import ModelOverrides

FlashAttentionMode = Literal["auto", "true", "false"]


class ServingSettings(ModelOverrides):
    use_flash_attention: FlashAttentionMode = Field("false", validation_alias="USE_FLASH_ATTENTION")
    gpu_memory_utilization: float | None = Field(
        None, gt=0, le=1, validation_alias="GPU_MEMORY_UTILIZATION"
    )
    max_model_len: int | None = Field(None, gt=0, validation_alias="MAX_MODEL_LEN")
    max_num_seqs: int | None = Field(None, gt=0, validation_alias="MAX_NUM_SEQS")
    kv_cache_dtype: str | None = Field(None, validation_alias="KV_CACHE_DTYPE")
    host: str = Field("127.0.0.1", validation_alias="SERVING_HOST")
    port: int = Field(8010, gt=0, lt=65536, validation_alias="SERVING_PORT")
    api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SERVING_API_KEY", "VLLM_API_KEY")
    )
    shutdown_timeout: int = Field(30, ge=0, validation_alias="SERVING_SHUTDOWN_TIMEOUT")
    # Extra `vllm serve` arguments, shell-quoted; appended last so they win.
    extra_args: str = Field("", validation_alias="SERVING_EXTRA_ARGS")
    # Where `serving run` records its decision for the adapter's /info.
    plan_file: str | None = Field(None, validation_alias="SERVING_PLAN_FILE")
    # A folder of weights laid out by model id (<dir>/Qwen/Qwen2-VL-2B-Instruct/config.json):
    # a model found there is served from it with the Hub offline.
    models_dir: str | None = Field(None, validation_alias="SERVING_MODELS_DIR")

    def local_weights_for(self, profile: ModelProfile) -> tuple[str, bool]:
        """What vLLM loads: the profile's model, or its copy under SERVING_MODELS_DIR
        (True when that copy is used)."""
        model = self.model_for(profile)
        if self.models_dir and not Path(model).is_absolute():
            local = Path(self.models_dir) / model
            if (local / "config.json").is_file():
                return str(local), True
        return model, False
