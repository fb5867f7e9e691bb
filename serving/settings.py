"""Launcher settings, read from the environment (names kept from the original deployment)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from ocrkit.model.launch import FlashAttentionMode
from ocrkit.model.settings import VllmOverrides


class ServingSettings(VllmOverrides):
    """The vLLM knobs shared with the in-process engine, plus what only a server has."""

    use_flash_attention: FlashAttentionMode = Field("false", validation_alias="USE_FLASH_ATTENTION")
    host: str = Field("127.0.0.1", validation_alias="SERVING_HOST")
    port: int = Field(8010, gt=0, lt=65536, validation_alias="SERVING_PORT")
    api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SERVING_API_KEY", "VLLM_API_KEY")
    )
    shutdown_timeout: int = Field(30, ge=0, validation_alias="SERVING_SHUTDOWN_TIMEOUT")
    # After the drain: how long the HTTP server waits for connections to close (see
    # serving/vllm_main.py); a client stalled mid-request no longer holds vLLM up.
    http_shutdown_timeout: float = Field(10, gt=0, validation_alias="SERVING_HTTP_SHUTDOWN_TIMEOUT")
    # Where `serving run` records its decision for the adapter's /info.
    plan_file: str | None = Field(None, validation_alias="SERVING_PLAN_FILE")
