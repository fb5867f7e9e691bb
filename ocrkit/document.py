"""What an OCR run produces: documents made of pages, each with where its text came from."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

Source = Literal["ocr", "text-layer", "failed"]


class PageResult(BaseModel):
    page: int  # 1-based
    text: str
    source: Source
    engine: str
    model: str | None = None
    attempts: int = 0
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.source != "failed"


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
