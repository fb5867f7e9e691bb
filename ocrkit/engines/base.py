"""The interface every OCR engine implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from ocrkit.images import PageImage
from ocrkit.options import OcrOptions
from ocrkit.pages import RenderTarget
from ocrkit.profiles import load_profile
from ocrkit.request import build_chat_request, resolve_prompt


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


class ModelEngine(Engine):
    """An engine that runs a vision-language model from a profile: the profile decides the
    page size, the prompt and the request (through the one request builder)."""

    def __init__(self, options: OcrOptions) -> None:
        super().__init__(options)
        self.profile = load_profile(options.profile)

    @property
    def target(self) -> RenderTarget:
        return RenderTarget(max_pixels=self.profile.client.max_pixels, dpi=200)

    @property
    def prompt_key(self) -> str | None:
        """The language picks the prompt where the profile has one for it (Qwen); otherwise
        (DeepSeek-OCR's prompt types) the profile's default applies."""
        language = self.options.language
        return language if language in self.profile.client.prompts else None

    def cache_settings(self) -> dict[str, object]:
        o = self.options
        prompt = resolve_prompt(self.profile, self.prompt_key, o.prompt)
        return {
            **super().cache_settings(),
            "profile": self.profile.name,
            "prompt": prompt,
            "max_tokens": o.max_tokens,
        }

    def chat_request(self, page: PageImage, temperature: float) -> dict[str, Any]:
        o = self.options
        return build_chat_request(
            self.profile,
            page.data_uri(),
            model=self.model or "",
            prompt_key=self.prompt_key,
            prompt=o.prompt,
            max_tokens=o.max_tokens,
            temperature=temperature,
        )
