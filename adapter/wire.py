"""The adapter's wire formats: the legacy API of the original services, plus new fields."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ocrkit.model.launch import AttentionDecision
from ocrkit.model.postprocess import Block


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class _LegacyRequest(BaseModel):
    """Fields this API does not know are ignored, not refused: old clients send fields the
    original services accepted and ignored. They are logged and listed in the reply's
    `ignored_fields`, so a misspelt field does not go unnoticed."""

    model_config = ConfigDict(extra="allow")

    @property
    def ignored_fields(self) -> list[str] | None:
        return sorted(self.model_extra) if self.model_extra else None


class OcrRequest(_LegacyRequest):
    """POST /ocr on the Qwen service (:8001)."""

    image: str = Field(description="base64 of a PNG/JPEG/WEBP/TIFF/BMP/GIF page (data: URI ok)")
    language: Literal["russian", "english", "auto"] = "russian"
    prompt: str | None = Field(None, description="Overrides the language prompt")
    max_tokens: int | None = Field(None, gt=0, description="Default MAX_NEW_TOKENS")


class DeepseekOcrRequest(_LegacyRequest):
    """POST /ocr on the DeepSeek-OCR service (:8000)."""

    image: str
    prompt_type: str | None = Field(
        None, description="A prompt type from GET /prompts; default: the profile's (ocr_simple)"
    )
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
    blocks: list[Block] | None = Field(
        None, description="Layout blocks with pixel boxes, for models that give them"
    )
    ignored_fields: list[str] | None = Field(None, description="Request fields not used")


class DeepseekOcrResponse(BaseModel):
    text: str
    raw_output: str
    model: str
    inference_time: float
    flash_attention: bool | None
    usage: Usage | None = None
    finish_reason: str | None = None
    truncated: bool
    blocks: list[Block] | None = Field(None, description="The grounding blocks, pixel boxes")
    ignored_fields: list[str] | None = Field(None, description="Request fields not used")


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
    attention: AttentionDecision | None = Field(
        None, description="The launcher's decision (backend, reason), from SERVING_PLAN_FILE"
    )
    vlm_mode: Literal["elements", "page"] = Field(
        "page",
        description="How /ocr reads a page without a prompt of its caller's: elements (the "
        "layout stage's regions, each with its task prompt) or page (one request)",
    )
    layout_model: str | None = Field(
        None,
        description="The layout model's file where /ocr reads region by region "
        "(layout_cdla.onnx, bundled; or the OCRKIT_LAYOUT_MODEL file): null otherwise",
    )


class Prompts(BaseModel):
    default: str
    prompt_types: dict[str, str]
