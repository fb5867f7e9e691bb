"""What an OCR run produces: documents made of pages, each with where its text came from."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ocrkit.model.postprocess import Block, as_markdown, ordered
from ocrkit.pdf.gate import Gate

Source = Literal["ocr", "text-layer", "failed"]


class PageResult(BaseModel):
    page: int  # 1-based
    text: str = Field(description="Clean text (Markdown for the VLMs), no model markup")
    source: Source
    engine: str
    model: str | None = None
    attempts: int = 0
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float = 0.0
    error: str | None = None
    blocks: list[Block] | None = Field(
        None, description="Layout blocks where the model gives them (DeepSeek-OCR)"
    )
    image_size: tuple[int, int] | None = Field(
        None, description="Width and height, in pixels, of the page image the boxes refer to"
    )
    gate: Gate | None = Field(
        None, description="Why the page was read from its text layer or OCR'd (PDF pages)"
    )

    @property
    def ok(self) -> bool:
        return self.source != "failed"

    @property
    def markdown(self) -> str:
        """The page as Markdown: where its text is its ordered blocks' (text-layer and
        Tesseract pages), rendered from them, titles as headings; a VLM's text is Markdown
        already."""
        blocks = ordered(self.blocks)
        text = self.text.strip()
        if not blocks or "\n\n".join(b.content for b in blocks).strip() != text:
            return text
        return "\n\n".join(as_markdown(b) for b in blocks)


class Document(BaseModel):
    path: Path
    sha256: str
    page_count: int
    pages: list[PageResult]

    @property
    def failed_pages(self) -> list[int]:
        return [p.page for p in self.pages if not p.ok]

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages if p.ok)
