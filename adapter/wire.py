"""The adapter's wire formats: the legacy API of the original services, plus new fields."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ocrkit.grounding import Block


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class OcrRequest(BaseModel):
    """POST /ocr on the Qwen service (:8001)."""

    model_config = ConfigDict(extra="ignore")

    image: str = Field(description="base64 of a PNG/JPEG/WEBP/TIFF/BMP/GIF page (data: URI ok)")
    language: Literal["russian", "english", "auto"] = "russian"
    prompt: str | None = Field(None, description="Overrides the language prompt")
    max_tokens: int | None = Field(None, gt=0, description="Default MAX_NEW_TOKENS")


class DeepseekOcrRequest(BaseModel):
    """POST /ocr on the DeepSeek-OCR service (:8000)."""

    model_config = ConfigDict(extra="ignore")

    image: str
    prompt_type: str = "ocr_simple"
    custom_prompt: str | None = None
    max_tokens: int | None = Field(None, gt=0)


class OcrResponse(BaseModel):
    text: str
    model: str
    inference_time: float = Field(description="Seconds spent upstream")
    vram_used_gb: float | None = Field(
        None,
        description="Always null: vLLM reserves its memory up front and does not report "
        "per-request use",
    )
    usage: Usage | None = None
    finish_reason: str | None = None
    truncated: bool = Field(description="The reply stopped at max_tokens")


class DeepseekOcrResponse(BaseModel):
    text: str
    raw_output: str
    model: str
    inference_time: float
    flash_attention: bool | None
    usage: Usage | None = None
    finish_reason: str | None = None
    truncated: bool


class FigureResponse(BaseModel):
    blocks: list[Block]
    markdown: str
    raw_output: str
    inference_time: float
    flash_attention: bool | None
    image_width: int
    image_height: int
    truncated: bool


class Health(BaseModel):
    status: Literal["healthy", "loading", "unhealthy"]
    model: str
    model_loaded: bool
    detail: str | None = None
    cuda_available: bool | None = None
    cuda_device: str | None = None
    flash_attention: bool | None = None
    vram_total_gb: float | None = None
    vram_free_gb: float | None = Field(None, description="Not reported by vLLM: null")


class Info(BaseModel):
    model: str
    max_tokens: int
    flash_attention: bool | None
    cuda_version: str | None = None
    torch_version: str | None = None
    engine: str = "vllm"
    engine_version: str | None = None
    profile: str
    attention: dict[str, Any] | None = Field(
        None, description="The launcher's decision (backend, reason), from SERVING_PLAN_FILE"
    )


class Prompts(BaseModel):
    default: str
    prompt_types: dict[str, str]
