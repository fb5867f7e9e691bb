"""ocrkit: OCR of PDFs and page images with vision-language models.

`ocrkit.ocr(path)` / `await ocrkit.aocr(path)` read a document into a `Document`; every
error raised on purpose is an `OcrError`. The profiles are what every part of the stack
shares. The client API loads on first use, so that the launcher and the adapter, which
import the profiles, do not pull in the client's dependencies.
"""

from typing import TYPE_CHECKING, Any

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
from ocrkit.gate import Gate, Route
from ocrkit.options import OcrOptions
from ocrkit.postprocess import BBox, Block
from ocrkit.profiles import (
    ClientSpec,
    ModelProfile,
    Sampling,
    VllmSpec,
    list_profiles,
    load_profile,
)

if TYPE_CHECKING:
    from ocrkit.api import aocr, ocr
    from ocrkit.output import render, save
    from ocrkit.results import Document, PageResult

_LAZY = {
    "render": "ocrkit.output",
    "save": "ocrkit.output",
    "ocr": "ocrkit.api",
    "aocr": "ocrkit.api",
    "Document": "ocrkit.results",
    "PageResult": "ocrkit.results",
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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ocrkit' has no attribute {name!r}")
