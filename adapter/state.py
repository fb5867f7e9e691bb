"""What every route needs, built once at start-up and kept on `app.state`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from adapter.settings import AdapterSettings
from adapter.upstream import Upstream
from ocrkit.images import PageImage, decode_base64, load_image
from ocrkit.profiles import ModelProfile


@dataclass
class AdapterState:
    settings: AdapterSettings
    profile: ModelProfile
    model: str  # the served model name requests are sent with
    upstream: Upstream
    _plan: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _plan_mtime: int | None = field(default=None, init=False, repr=False)

    def plan(self) -> dict[str, Any] | None:
        """The launcher's recorded decision, if it shares a plan file with us. The launcher
        rewrites it whenever vLLM restarts, so it is read again when its mtime changes."""
        if not self.settings.plan_file:
            return None
        path = Path(self.settings.plan_file)
        try:
            mtime = path.stat().st_mtime_ns
            if mtime != self._plan_mtime:
                self._plan = json.loads(path.read_text(encoding="utf-8"))
                self._plan_mtime = mtime
        except (OSError, ValueError):
            self._plan, self._plan_mtime = None, None
        return self._plan

    @property
    def default_max_tokens(self) -> int:
        """max_tokens for a request that gives none: MAX_NEW_TOKENS, else the profile's.
        A default only: vLLM is never told a cap, so a request may always ask for more."""
        return self.settings.max_new_tokens or self.profile.client.sampling.max_tokens

    def flash_attention(self) -> bool | None:
        plan = self.plan()
        return plan.get("attention", {}).get("flash_attention") if plan else None

    async def page_from_base64(self, image: str) -> PageImage:
        """Decode, check and fit an untrusted image off the event loop."""
        return await run_in_threadpool(self.page_from_bytes_sync, decode_base64(image))

    async def page_from_bytes(self, data: bytes) -> PageImage:
        return await run_in_threadpool(self.page_from_bytes_sync, data)

    def page_from_bytes_sync(self, data: bytes) -> PageImage:
        return load_image(
            data,
            max_pixels=self.profile.client.max_pixels,
            limit_pixels=self.settings.max_image_pixels,
        )


def get_state(request: Request) -> AdapterState:
    return request.app.state.adapter
