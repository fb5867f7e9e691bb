"""Per-model post-processing of a reply: a profile names its post-processor
(`client.postprocess`), and every path (the client's engines, the adapter's /ocr and
/ocr/figure) turns raw output into clean text through `postprocess()`."""

from __future__ import annotations

from collections.abc import Callable

from ocrkit.model.postprocess import glm_ocr, grounding, paddleocr_vl
from ocrkit.structure.blocks import BBox, Block, PageText, as_markdown, ordered

# (raw reply, image width, image height) -> clean text and blocks in that image's pixels.
Postprocessor = Callable[[str, int, int], PageText]


def _plain(raw: str, width: int, height: int) -> PageText:
    return PageText(text=raw.strip())


POSTPROCESSORS: dict[str, Postprocessor] = {
    "plain": _plain,
    "deepseek-grounding": grounding.postprocess,
    "glm-ocr": glm_ocr.postprocess,
    "paddleocr-vl": paddleocr_vl.postprocess,
}

__all__ = ["POSTPROCESSORS", "BBox", "Block", "PageText", "as_markdown", "ordered", "postprocess"]


def postprocess(name: str, raw: str, width: int, height: int) -> PageText:
    """Apply the post-processor `name` to a reply about a `width` x `height` image."""
    return POSTPROCESSORS[name](raw, width, height)
