"""The interface every OCR engine implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from ocrkit.images import PageImage
from ocrkit.options import OcrOptions
from ocrkit.pages import RenderTarget


class EngineUnavailable(RuntimeError):
    """The engine cannot run here or its server is not there: nothing was sent."""


class PageFailed(RuntimeError):
    """One page could not be read (after the engine's own retries)."""


@dataclass
class Reply:
    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class Engine(ABC):
    name: ClassVar[str]
    default_concurrency: ClassVar[int] = 16

    def __init__(self, options: OcrOptions) -> None:
        self.options = options
        self.model: str | None = None

    @property
    @abstractmethod
    def target(self) -> RenderTarget:
        """How pages must be rendered for this engine."""

    @property
    def concurrency(self) -> int:
        return self.options.concurrency or self.default_concurrency

    def cache_settings(self) -> dict[str, object]:
        """Everything that changes this engine's text for the same page (the resume key)."""
        return {"engine": self.name, "model": self.model, "target": self.target.__dict__}

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Check the engine can run; raise EngineUnavailable fast when it cannot."""

    @abstractmethod
    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        """OCR one page; raise PageFailed when it cannot."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        pass
