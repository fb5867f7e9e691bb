"""What post-processing yields for a page: its clean text, and blocks with pixel boxes
where the model gives them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class BBox(BaseModel):
    x0: int
    y0: int
    x1: int
    y1: int


class Block(BaseModel):
    id: int
    type: str
    content: str
    bbox: BBox | None
    confidence: float | None = None  # the VLMs give none; kept for the legacy shape
    metadata: dict[str, Any] = {}


class PageText(BaseModel):
    """A model's reply made readable: `text` carries no model markup (tags, boxes);
    `blocks` is None for models that give no layout."""

    text: str
    blocks: list[Block] | None = None


def ordered(blocks: list[Block] | None) -> list[Block]:
    """The blocks that make up a page's text, in its order (`metadata.order`)."""
    placed = (b for b in blocks or [] if "order" in b.metadata)
    return sorted(placed, key=lambda b: b.metadata["order"])


def as_markdown(block: Block) -> str:
    """A block of a page as Markdown: a title as a heading, anything else as it reads."""
    if block.type == "title" and not block.content.startswith("#"):
        return "## " + " ".join(block.content.split())
    return block.content
