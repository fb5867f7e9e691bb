"""DeepSeek-OCR's grounding output: `<|ref|>TYPE<|/ref|><|det|>[[x0, y0, x1, y1]]<|/det|>`
followed by the block's content, with coordinates on a 0-999 grid of the image."""

from __future__ import annotations

import re
from typing import Any

from ocrkit.structure.blocks import BBox, Block, PageText

GRID = 999
_TAG = re.compile(r"<\|ref\|>(?P<type>.*?)<\|/ref\|>\s*<\|det\|>(?P<det>.*?)<\|/det\|>", re.S)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# What a model may leave in the text that is not content.
_LEFTOVER = re.compile(r"<\|/?(?:ref|det|grounding)\|>|<｜end▁of▁sentence｜>")


def parse_grounding(raw: str, width: int, height: int) -> list[Block]:
    """Blocks in reading order, boxes in pixels of a `width` x `height` image."""
    matches = list(_TAG.finditer(raw))
    blocks = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(raw)
        boxes = _boxes(m["det"], width, height)
        metadata: dict[str, Any] = {"grid_bbox": _grid_boxes(m["det"])[:1] or None}
        if len(boxes) > 1:
            metadata["all_bboxes"] = [b.model_dump() for b in boxes]
        blocks.append(
            Block(
                id=i,
                type=m["type"].strip(),
                content=_clean(raw[m.end() : end]),
                bbox=boxes[0] if boxes else None,
                metadata=metadata,
            )
        )
    return blocks


def postprocess(raw: str, width: int, height: int) -> PageText:
    """Markdown without the tags, and the blocks with their boxes. A reply without grounding
    (a `Free OCR.` prompt) gives its text and no blocks."""
    blocks = parse_grounding(raw, width, height)
    return PageText(text=to_markdown(raw), blocks=blocks or None)


def to_markdown(raw: str) -> str:
    """The text without grounding tags (what a reader wants)."""
    text = _TAG.sub("", raw)
    return _clean(re.sub(r"\n{3,}", "\n\n", text))


def _clean(text: str) -> str:
    return _LEFTOVER.sub("", text).strip()


def _grid_boxes(det: str) -> list[list[int]]:
    numbers = [round(float(n)) for n in _NUMBER.findall(det)]
    return [numbers[i : i + 4] for i in range(0, len(numbers) - len(numbers) % 4, 4)]


def _boxes(det: str, width: int, height: int) -> list[BBox]:
    def px(value: int, size: int) -> int:
        return round(min(max(value, 0), GRID) / GRID * size)

    return [
        BBox(x0=px(x0, width), y0=px(y0, height), x1=px(x1, width), y1=px(y1, height))
        for x0, y0, x1, y1 in _grid_boxes(det)
    ]
