"""What every route needs, built once at start-up and kept on `app.state`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from fastapi import Request

from adapter.budget import ByteBudget, decode, decode_cost
from adapter.settings import AdapterSettings
from adapter.upstream import Upstream
from ocrkit.model.elements import element_level, read_elements
from ocrkit.model.images import PageImage, decode_base64, load_image
from ocrkit.model.launch import Plan
from ocrkit.model.postprocess import BBox, Block, PageText, postprocess
from ocrkit.model.profiles import ModelProfile
from ocrkit.model.reply import ChatReply
from ocrkit.model.request import build_chat_request, choose_prompt_key, default_max_tokens

if TYPE_CHECKING:
    from ocrkit.layout import LayoutDetector

log = logging.getLogger("adapter")


@dataclass
class AdapterState:
    settings: AdapterSettings
    profile: ModelProfile
    model: str  # the served model name requests are sent with
    upstream: Upstream
    decode_budget: ByteBudget = field(init=False, repr=False)
    _plan: Plan | None = field(default=None, init=False, repr=False)
    # The layout stage, where /ocr reads pages region by region (`start`).
    layout: LayoutDetector | None = field(default=None, init=False, repr=False)
    _region_slots: asyncio.Semaphore | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.decode_budget = ByteBudget(self.settings.decode_budget_bytes)

    async def start(self) -> None:
        """Loads the layout stage where /ocr reads region by region (ADAPTER_VLM_MODE)."""
        mode = self.settings.vlm_mode
        # Per request, a prompt of the caller's sends the whole page (`read`).
        if not element_level(self.profile, mode, own_prompt=False, fix="set ADAPTER_VLM_MODE=page"):
            return
        from ocrkit.layout import LayoutDetector, LayoutMissing

        try:
            self.layout = await asyncio.to_thread(LayoutDetector)
        except LayoutMissing as exc:
            if mode == "elements":
                raise
            log.warning("%s; /ocr reads whole pages (ADAPTER_VLM_MODE=page)", exc)
            return
        # A page's regions go to vLLM together; no more than the connections to it.
        self._region_slots = asyncio.Semaphore(self.settings.upstream_max_connections)

    @property
    def vlm_mode(self) -> Literal["elements", "page"]:
        return "elements" if self.layout is not None else "page"

    _plan_mtime: int | None = field(default=None, init=False, repr=False)

    def plan(self) -> Plan | None:
        """The launcher's recorded decision, if it shares a plan file with us. The launcher
        rewrites it whenever vLLM restarts, so it is read again when its mtime changes."""
        if not self.settings.plan_file:
            return None
        path = Path(self.settings.plan_file)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            self._plan, self._plan_mtime = None, None
            return None
        if mtime != self._plan_mtime:
            self._plan, self._plan_mtime = Plan.read(path), mtime
        return self._plan

    @property
    def default_max_tokens(self) -> int:
        """max_tokens for a request that gives none: MAX_NEW_TOKENS, else the profile's.
        A default only: vLLM is never told a cap, so a request may always ask for more."""
        return default_max_tokens(self.profile, self.settings.max_new_tokens)

    def flash_attention(self) -> bool | None:
        plan = self.plan()
        return plan.attention.flash_attention if plan else None

    async def page_from_base64(self, image: str) -> PageImage:
        """Decode, check and fit an untrusted image off the event loop."""
        return await self.page_from_bytes(decode_base64(image))

    async def page_from_bytes(self, data: bytes) -> PageImage:
        # Decoded pages in flight stay within the budget (adapter/budget.py).
        async with self.decode_budget.hold(decode_cost(data)):
            return await decode(self.page_from_bytes_sync, data)

    def page_from_bytes_sync(self, data: bytes) -> PageImage:
        return load_image(
            data,
            max_pixels=self.profile.client.max_pixels,
            limit_pixels=self.settings.max_image_pixels,
        )

    async def read(
        self,
        page: PageImage,
        *,
        language: str | None = None,
        prompt_type: str | None = None,
        prompt: str | None = None,
        max_tokens: int | None = None,
        regions: bool = True,
    ) -> tuple[ChatReply, PageText]:
        """One page through the model, as every legacy route reads it: the shared prompt
        choice and request builder, the one reply parser, the profile's post-processor.
        Boxes are in pixels of the image as the caller sent it."""
        key = choose_prompt_key(self.profile, language=language, prompt_type=prompt_type)
        tokens = max_tokens or self.default_max_tokens

        async def ask(image: PageImage, prompt_key: str, prompt: str | None = None) -> ChatReply:
            body = build_chat_request(
                self.profile,
                image.data_uri(),
                model=self.model,
                prompt_key=prompt_key,
                prompt=prompt,
                max_tokens=tokens,
            )
            return await self.upstream.chat(body)

        # A caller's own prompt is for the whole page, as in the client; a figure (`regions`
        # False) is one region already.
        if regions and self.layout is not None and prompt_type is None and prompt is None:
            found = await self._read_elements(page, ask)
            if found is not None:
                return found
        reply = await ask(page, key, prompt)
        clean = postprocess(self.profile.client.postprocess, reply.text, *page.source_size)
        return reply, clean

    async def _read_elements(
        self, page: PageImage, ask: Callable[[PageImage, str], Awaitable[ChatReply]]
    ) -> tuple[ChatReply, PageText] | None:
        """The page region by region (`ocrkit.model.elements`, as the client reads it): one
        reply standing for all of them, and the page's text and blocks, boxes in pixels of
        the image as the caller sent it."""
        assert self.layout is not None and self._region_slots is not None
        # The decoded page and its crops count against the adapter's decode budget.
        found = await read_elements(
            self.profile, self.layout, ask, page, self._region_slots, hold=self.decode_budget.hold
        )
        if found is None:
            return None
        reply = ChatReply(
            text="\n\n".join(r.text for r in found.replies),
            finish_reason=found.finish_reason,
            model=found.replies[0].model,
            prompt_tokens=found.prompt_tokens,
            completion_tokens=found.completion_tokens,
        )
        blocks = found.blocks
        if page.resized:
            sx, sy = page.source_size[0] / page.width, page.source_size[1] / page.height
            blocks = [_scaled(b, sx, sy) for b in blocks]
        return reply, PageText(text=found.text, blocks=blocks)


def _scaled(block: Block, sx: float, sy: float) -> Block:
    if block.bbox is None:
        return block
    b = block.bbox
    box = BBox(x0=round(b.x0 * sx), y0=round(b.y0 * sy), x1=round(b.x1 * sx), y1=round(b.y1 * sy))
    return block.model_copy(update={"bbox": box})


def get_state(request: Request) -> AdapterState:
    return request.app.state.adapter
