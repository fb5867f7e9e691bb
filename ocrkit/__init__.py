"""ocrkit: OCR of PDFs and page images with vision-language models.

`ocrkit.ocr(path)` / `await ocrkit.aocr(path)` read a document; the profiles are what every
part of the stack shares. The client API loads on first use, so that the launcher and the
adapter, which import the profiles, do not pull in the client's dependencies.
"""

from typing import TYPE_CHECKING, Any

from ocrkit.profiles import (
    ClientSpec,
    ModelProfile,
    ProfileError,
    Sampling,
    VllmSpec,
    list_profiles,
    load_profile,
)

if TYPE_CHECKING:
    from ocrkit.api import aocr, ocr
    from ocrkit.document import Document, PageResult

_LAZY = {
    "ocr": "ocrkit.api",
    "aocr": "ocrkit.api",
    "Document": "ocrkit.document",
    "PageResult": "ocrkit.document",
}

__all__ = [
    "ClientSpec",
    "Document",
    "ModelProfile",
    "PageResult",
    "ProfileError",
    "Sampling",
    "VllmSpec",
    "aocr",
    "list_profiles",
    "load_profile",
    "ocr",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ocrkit' has no attribute {name!r}")
