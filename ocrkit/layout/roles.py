"""Roles for paragraphs another reader made (a text layer's, Tesseract's), so that every
route's blocks say what element-level pages' say:

- `text_roles`, on any route, from the text and its neighbours: a formula line (operators
  and symbols, hardly a word), a caption ("Таблица 1. ...", "Рисунок 2") beside a table or
  a figure;
- `assign_roles`, where the layout stage ran (Tesseract pages with `ocrkit[layout]`): the
  role of the region a paragraph lies in (a formula, a caption, a footnote, a figure's
  words, a heading set at the body's size). Boxes of blocks and regions are in the same
  image's pixels. Only what the words alone cannot tell is taken: tables stay as the words'
  columns found them, and furniture as its repetition across pages found it (the small
  layout model calls a title under the running header a header now and then).
"""

from __future__ import annotations

import re

from ocrkit.layout.regions import Region, Role
from ocrkit.model.postprocess import BBox, Block

# Roles a paragraph takes from the region it lies in.
TAKEN: tuple[Role, ...] = ("title", "formula", "caption", "footnote", "figure")
INSIDE = 0.5  # the share of a paragraph's box a region must cover to give it its role
# A heading is short: a paragraph longer than this in a "title" region is the model's slip.
TITLE_LINES = 2
TITLE_CHARS = 150


def assign_roles(blocks: list[Block], regions: list[Region]) -> None:
    """Gives each ordered `text` paragraph of `blocks` the role of the region that holds
    most of it, where that role is one the words cannot tell (in place)."""
    for block in blocks:
        if block.type != "text" or "order" not in block.metadata or block.bbox is None:
            continue
        region = _holder(block.bbox, regions)
        if region is None or region.role not in TAKEN:
            continue
        if region.role == "title" and not _short(block.content):
            continue
        block.type = region.role
        block.metadata["label"] = region.label


def _holder(box: BBox, regions: list[Region]) -> Region | None:
    area = max(1, (box.x1 - box.x0) * (box.y1 - box.y0))
    best, best_overlap = None, 0.0
    for region in regions:
        x0, y0, x1, y1 = region.box
        w = min(box.x1, x1) - max(box.x0, x0)
        h = min(box.y1, y1) - max(box.y0, y0)
        overlap = max(0.0, w) * max(0.0, h)
        if overlap > best_overlap:
            best, best_overlap = region, overlap
    return best if best_overlap >= INSIDE * area else None


def _short(text: str) -> bool:
    return len(text.splitlines()) <= TITLE_LINES and len(text) <= TITLE_CHARS


# What a formula line is made of besides letters and digits.
_OPERATORS = set("=+-−–×÷·*/<>≤≥≈≠±∑∏∫√^∞∂∆∈")
_RELATIONS = set("=<>≤≥≈≠")
_WORD = re.compile(r"[^\W\d_]{4,}")  # a word, not a variable (N, T0, НКД)
_CAPTION = re.compile(
    r"^(?:таблица|табл\.|рисунок|рис\.|диаграмма|график|схема|table|figure|fig\.)"
    r"\s*(?:№\s*)?[\dIVXivx]+\b",
    re.IGNORECASE,
)
FORMULA_CHARS = 200
CAPTION_CHARS = 250
NEAR = 0.5  # a caption stands within this share of its figure's height of it


def text_roles(ordered: list[Block], figures: list[BBox] | None = None) -> None:
    """Gives `formula` and `caption` roles to the ordered paragraphs whose text and
    neighbours say so (in place); `figures`: the page's pictures, in the blocks' units."""
    for i, block in enumerate(ordered):
        if block.type not in ("text", "title"):
            continue
        # A formula stands taller than the text (its brackets and indices), or in bold: by
        # size and weight alone it would be a title.
        if is_formula(block.content):
            block.type = "formula"
        elif (
            block.type == "text"
            and len(block.content) <= CAPTION_CHARS
            and _CAPTION.match(block.content)
        ):
            beside = [ordered[j] for j in (i - 1, i + 1) if 0 <= j < len(ordered)]
            if any(b.type == "table" for b in beside) or _near(block, figures or [], ordered):
                block.type = "caption"


def is_formula(text: str) -> bool:
    """A line of a formula: a relation, two operators or more, and at most one word."""
    if len(text) > FORMULA_CHARS or len(text.splitlines()) > 2:
        return False
    operators = sum(c in _OPERATORS for c in text)
    return any(c in _RELATIONS for c in text) and operators >= 2 and len(_WORD.findall(text)) <= 1


def _near(block: Block, figures: list[BBox], ordered: list[Block]) -> bool:
    """Whether a figure stands right above or below the block, nothing read between."""
    box = block.bbox
    if box is None:
        return False
    for f in figures:
        if min(box.x1, f.x1) <= max(box.x0, f.x0):
            continue  # beside it, not above or below
        top, bottom = (f.y1, box.y0) if f.y1 <= box.y0 else (box.y1, f.y0)
        if bottom < top or bottom - top > NEAR * (f.y1 - f.y0):
            continue
        between = [
            b
            for b in ordered
            if b is not block
            and b.bbox is not None
            and top < (b.bbox.y0 + b.bbox.y1) / 2 < bottom
            and min(b.bbox.x1, f.x1) > max(b.bbox.x0, f.x0)
        ]
        if not between:
            return True
    return False
