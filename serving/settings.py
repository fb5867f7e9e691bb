"""Launcher settings, read from the environment (names kept from the original deployment)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr

from ocrkit.settings import ModelOverrides

FlashAttentionMode = Literal["auto", "true", "false"]


class ServingSettings(ModelOverrides):
    use_flash_attention: FlashAttentionMode = Field("false", validation_alias="USE_FLASH_ATTENTION")
    # Server-side default for requests that send no max_tokens.
    max_new_tokens: int | None = Field(None, gt=0, validation_alias="MAX_NEW_TOKENS")
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
