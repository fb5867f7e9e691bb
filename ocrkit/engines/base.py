"""The interface every OCR engine implements, and what the model engines share."""

from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ocrkit.errors import ImageError, PageFailed
from ocrkit.model.elements import element_level, read_elements
from ocrkit.model.images import PageImage
from ocrkit.model.postprocess import Block, postprocess
from ocrkit.model.profiles import load_profile
from ocrkit.model.reply import ChatReply
from ocrkit.model.request import build_chat_request, choose_prompt_key, resolve_prompt
from ocrkit.options import OcrOptions
from ocrkit.pdf.sources import RenderTarget
from ocrkit.structure.markup import cells_of, grids_in_text, to_markdown

if TYPE_CHECKING:
    from ocrkit.layout import LayoutDetector

log = logging.getLogger("ocrkit")


@dataclass
class Reply:
    """One page read: clean text, and the raw model output it came from."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    raw: str | None = None  # the model's own output, where post-processing changed it
    blocks: list[Block] | None = None
    image_size: tuple[int, int] | None = None  # of the image the blocks' boxes refer to


class Engine(ABC):
    name: ClassVar[str]
    default_concurrency: ClassVar[int] = 16
    # Whether `read(temperature=...)` changes anything: a quality retry of a page is only
    # worth making where it does.
    samples: ClassVar[bool] = False
    # A page's share of a CPU on a Ray worker (`ocrkit --ray`): a whole core for an engine
    # that reads the page itself; a server's client mostly waits for the reply.
    cluster_cpus_per_page: ClassVar[float] = 1.0
    # Whether it can read a Ray worker's pages at all (in-process vLLM wants the GPU whole).
    runs_on_cluster: ClassVar[bool] = True

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

    @functools.cached_property
    def layout_key(self) -> str:
        """`layout_identity()`, read once: the run's resume key is compared with
        `cache_settings()` after every page, and the settings do not change in a run."""
        return layout_identity()

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Check the engine can run; raise EngineUnavailable fast when it cannot."""

    @abstractmethod
    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        """OCR one page; raise PageFailed when it cannot."""

    async def read_pictures(
        self, pictures: list[PageImage]
    ) -> list[Reply | PageFailed | ImageError]:
        """The pictures of text on a page read from its text layer (a banner, a
        screenshot, a logo), each read as a page is, together; a picture that cannot be
        read has its PageFailed (or ImageError) in its place."""
        found = await asyncio.gather(
            *(self.read(p, temperature=0.0) for p in pictures), return_exceptions=True
        )
        for reply in found:
            if isinstance(reply, BaseException) and not isinstance(reply, PageFailed | ImageError):
                raise reply
        return list(found)  # type: ignore[arg-type]

    async def close(self) -> None:  # noqa: B027 - optional hook
        pass


class ModelEngine(Engine):
    """An engine that runs a vision-language model from a profile: the profile decides the
    page size, the prompt, the request (the one request builder) and how a reply becomes
    clean text (its post-processor)."""

    samples = True

    def __init__(self, options: OcrOptions) -> None:
        super().__init__(options)
        self.profile = load_profile(options.profile)
        # Checked now: an unknown prompt type fails the run before anything is sent.
        self.prompt_key = choose_prompt_key(
            self.profile, language=options.language, prompt_type=options.prompt_type
        )
        self.element_level = element_level(
            self.profile,
            options.vlm_mode,
            own_prompt=options.prompt is not None or options.prompt_type is not None,
            fix="use --vlm-mode page",
        )
        self.layout: LayoutDetector | None = None  # loaded by start() in element-level mode
        self.element_slots: asyncio.Semaphore | None = None  # with it

    async def start(self) -> None:
        await self.connect()
        if self.element_level:
            from ocrkit.layout import LayoutDetector, LayoutMissing

            try:
                self.layout = await asyncio.to_thread(LayoutDetector)
            except LayoutMissing as exc:
                if self.options.vlm_mode == "elements":
                    raise
                # Chosen by the profile, not by the user: whole pages still read.
                log.warning("%s; reading whole pages (--vlm-mode page)", exc)
                self.element_level = False
                return
            # A page's regions go out together: this bounds them all, as pages are bounded.
            self.element_slots = asyncio.Semaphore(self.concurrency)

    async def connect(self) -> None:
        """Check the model can be reached; raise EngineUnavailable fast when it cannot."""

    @abstractmethod
    async def ask(
        self, image: PageImage, prompt_key: str, temperature: float, prompt: str | None = None
    ) -> ChatReply:
        """The model's raw reply for one image with the profile's prompt `prompt_key`, or
        with `prompt`, the user's own, where given."""

    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        if self.layout is not None and self.element_slots is not None:

            async def ask(crop: PageImage, key: str) -> ChatReply:
                return await self.ask(crop, key, temperature)

            found = await read_elements(
                self.profile,
                self.layout,
                ask,
                page,
                self.element_slots,
                keep_furniture=self.options.keep_furniture,
            )
            if found is not None:
                return Reply(
                    text=found.text,
                    finish_reason=found.finish_reason,
                    prompt_tokens=found.prompt_tokens,
                    completion_tokens=found.completion_tokens,
                    blocks=found.blocks,
                    image_size=(page.width, page.height),
                )
        reply = await self.ask(page, self.prompt_key, temperature, self.options.prompt)
        return self.finish(reply, page)

    @property
    def target(self) -> RenderTarget:
        return RenderTarget(max_pixels=self.profile.client.max_pixels, dpi=200)

    def cache_settings(self) -> dict[str, object]:
        o = self.options
        return {
            **super().cache_settings(),
            "profile": self.profile.name,
            "prompt": resolve_prompt(self.profile, self.prompt_key, o.prompt),
            "max_tokens": o.max_tokens,
            "postprocess": self.profile.client.postprocess,
            "layout": self.layout_key if self.element_level else None,
        }

    def chat_request(
        self, page: PageImage, temperature: float, prompt_key: str, prompt: str | None = None
    ) -> dict[str, Any]:
        o = self.options
        return build_chat_request(
            self.profile,
            page.data_uri(),
            model=self.model or "",
            prompt_key=prompt_key,
            prompt=prompt,
            max_tokens=o.max_tokens,
            temperature=temperature,
        )

    def finish(self, reply: ChatReply, page: PageImage) -> Reply:
        """The model's raw reply through the profile's post-processor."""
        clean = postprocess(self.profile.client.postprocess, reply.text, page.width, page.height)
        blocks = clean.blocks
        # The tables the model wrote (Markdown or HTML) as table blocks with their cells, as
        # every route gives them; a full-page model gives them no box.
        grids = grids_in_text(clean.text)
        if grids:
            first = len(blocks or [])
            blocks = [
                *(blocks or []),
                *(
                    Block(
                        id=first + i,
                        type="table",
                        content=to_markdown(grid),
                        bbox=None,
                        metadata={"cells": cells_of(grid)},
                    )
                    for i, grid in enumerate(grids)
                ),
            ]
        return Reply(
            text=clean.text,
            finish_reason=reply.finish_reason,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            raw=reply.text if clean.text != reply.text else None,
            blocks=blocks,
            image_size=(page.width, page.height) if blocks is not None else None,
        )


def layout_identity() -> str:
    """What decides the layout stage's regions (part of the resume key), without loading it."""
    from ocrkit.layout.detector import MAX_SIDE, LayoutSettings

    settings = LayoutSettings()
    model = settings.model.name if settings.model else "bundled:layout_cdla.onnx"
    return f"{model}@{settings.threshold}@{MAX_SIDE}px"
