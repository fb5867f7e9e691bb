"""ocrkit: OCR of PDFs and page images with vision-language models.

`ocrkit.ocr(path)` / `await ocrkit.aocr(path)` read a document into a `Document`; every
error raised on purpose is an `OcrError`. The profiles are what every part of the stack
shares. The client API loads on first use, so that the launcher and the adapter, which
import the profiles, do not pull in the client's dependencies.
"""

from typing import TYPE_CHECKING

from ocrkit._lazy import lazy_exports
from ocrkit.errors import (
    EngineUnavailable,
    ImageError,
    InputError,
    OcrError,
    OptionsError,
    PageFailed,
    ProfileError,
    PromptError,
    ReplyError,
)
from ocrkit.model.postprocess import BBox, Block
from ocrkit.model.profiles import (
    ClientSpec,
    ModelProfile,
    Sampling,
    VllmSpec,
    list_profiles,
    load_profile,
)
from ocrkit.options import OcrOptions
from ocrkit.pdf.gate import Gate, Route

if TYPE_CHECKING:
    from ocrkit.api import aocr, ocr
    from ocrkit.outputs.formats import render, save
    from ocrkit.outputs.results import Document, PageResult

_EXPORTS = {
    "render": "ocrkit.outputs.formats",
    "save": "ocrkit.outputs.formats",
    "ocr": "ocrkit.api",
    "aocr": "ocrkit.api",
    "Document": "ocrkit.outputs.results",
    "PageResult": "ocrkit.outputs.results",
}

__all__ = [
    "BBox",
    "Block",
    "ClientSpec",
    "Document",
    "EngineUnavailable",
    "Gate",
    "ImageError",
    "InputError",
    "ModelProfile",
    "OcrError",
    "OcrOptions",
    "OptionsError",
    "PageFailed",
    "PageResult",
    "ProfileError",
    "PromptError",
    "ReplyError",
    "Route",
    "Sampling",
    "VllmSpec",
    "aocr",
    "list_profiles",
    "load_profile",
    "ocr",
    "render",
    "save",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
