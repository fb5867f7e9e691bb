"""Adapter settings, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from ocrkit.model.images import DEFAULT_MAX_PIXELS
from ocrkit.model.settings import ModelOverrides
from ocrkit.options import VlmMode


class AdapterSettings(ModelOverrides):
    upstream_url: str = Field("http://127.0.0.1:8010", validation_alias="UPSTREAM_URL")
    upstream_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("UPSTREAM_API_KEY", "SERVING_API_KEY")
    )
    # Clients must send this key (Authorization: Bearer, or X-API-Key) on everything but
    # /health; unset means the adapter is open, as the original services were.
    api_key: SecretStr | None = Field(None, validation_alias="ADAPTER_API_KEY")
    # max_tokens of a request that gives none; unset: the profile's (the model's own default).
    max_new_tokens: int | None = Field(None, gt=0, validation_alias="MAX_NEW_TOKENS")
    max_body_mb: float = Field(50, gt=0, validation_alias="ADAPTER_MAX_BODY_MB")
    max_image_pixels: int = Field(
        DEFAULT_MAX_PIXELS, gt=0, validation_alias="ADAPTER_MAX_IMAGE_PIXELS"
    )
    # Decoded pages held at once (adapter/budget.py); calls beyond it wait, none fails.
    decode_budget_mb: float = Field(128, gt=0, validation_alias="ADAPTER_DECODE_BUDGET_MB")
    upstream_timeout: float = Field(300, gt=0, validation_alias="UPSTREAM_TIMEOUT")
    upstream_connect_timeout: float = Field(5, gt=0, validation_alias="UPSTREAM_CONNECT_TIMEOUT")
    # Connection failures and 503s only: a request that reached the model is never repeated.
    upstream_retries: int = Field(2, ge=0, validation_alias="UPSTREAM_RETRIES")
    upstream_max_connections: int = Field(256, gt=0, validation_alias="UPSTREAM_MAX_CONNECTIONS")
    # What says vLLM is up. Behind vllm-router use /readiness (200 while any replica passes
    # its health checks): the router's /health is 503 as soon as one replica is down.
    upstream_health_path: str = Field("/health", validation_alias="UPSTREAM_HEALTH_PATH")
    plan_file: str | None = Field(None, validation_alias="SERVING_PLAN_FILE")
    host: str = Field("127.0.0.1", validation_alias="ADAPTER_HOST")
    port: int | None = Field(None, gt=0, lt=65536, validation_alias="ADAPTER_PORT")
    graceful_shutdown_s: int = Field(30, ge=0, validation_alias="ADAPTER_SHUTDOWN_TIMEOUT")
    # How /ocr reads a page without a prompt of its caller's: auto, as the profile's authors
    # measured it (GLM-OCR, PaddleOCR-VL: region by region, where ocrkit[layout] is
    # installed); elements (fail at start-up without it); page (one request per page).
    vlm_mode: VlmMode = Field("auto", validation_alias="ADAPTER_VLM_MODE")

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    @property
    def decode_budget_bytes(self) -> int:
        return int(self.decode_budget_mb * 1024 * 1024)
