"""What every route needs, built once at start-up and kept on `app.state`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from adapter.budget import ByteBudget, decode, decode_cost
from adapter.settings import AdapterSettings
from adapter.upstream import Upstream
from ocrkit.model.images import PageImage, decode_base64, load_image
from ocrkit.model.launch import Plan
from ocrkit.model.postprocess import PageText, postprocess
from ocrkit.model.profiles import ModelProfile
from ocrkit.model.reply import ChatReply
from ocrkit.model.request import build_chat_request, choose_prompt_key, default_max_tokens


@dataclass
class AdapterState:
    settings: AdapterSettings
    profile: ModelProfile
    model: str  # the served model name requests are sent with
    upstream: Upstream
    decode_budget: ByteBudget = field(init=False, repr=False)
    _plan: Plan | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.decode_budget = ByteBudget(self.settings.decode_budget_bytes)

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
    ) -> tuple[ChatReply, PageText]:
        """One page through the model, as every legacy route reads it: the shared prompt
        choice and request builder, the one reply parser, the profile's post-processor.
        Boxes are in pixels of the image as the caller sent it."""
        key = choose_prompt_key(self.profile, language=language, prompt_type=prompt_type)
        body = build_chat_request(
            self.profile,
            page.data_uri(),
            model=self.model,
            prompt_key=key,
            prompt=prompt,
            max_tokens=max_tokens or self.default_max_tokens,
        )
        reply = await self.upstream.chat(body)
        clean = postprocess(self.profile.client.postprocess, reply.text, *page.source_size)
        return reply, clean


def get_state(request: Request) -> AdapterState:
    return request.app.state.adapter
