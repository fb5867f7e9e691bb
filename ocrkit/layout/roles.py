"""Roles from the layout stage for blocks another reader made: Tesseract's paragraphs get
the role of the region they lie in (a formula, a caption, a footnote, a figure's words, a
heading set at the body's size), so a scanned page's blocks say what element-level pages'
say. Boxes of blocks and regions are in the same image's pixels.

Only what the words alone cannot tell is taken: tables stay as the words' columns found
them, and furniture as its repetition across pages found it (the small layout model calls
a title under the running header a header now and then).
"""

from __future__ import annotations

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
