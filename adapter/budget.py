"""How many bytes of decoded pages the adapter holds at once. A page is small on the wire and
large decoded (an A4 scan at 200 dpi: ~0.3 MB of PNG, ~12 MB of pixels, more while it is
fitted), and every concurrent /ocr used to decode at once: memory grew with the callers.
Within the budget pages decode side by side; beyond it a call waits its turn, none fails.
Once fitted and encoded, a page holds only its few hundred KB while vLLM reads it.

Pages decode on a few threads of their own (`decode`), not on the server's pool of 40: each
thread that decodes gets a glibc malloc arena that keeps what it freed, so with 40 threads
an adapter's memory grew burst after burst (195 MB after one burst of 64 A4 pages, 465 MB
after four, `bench/decode_budget.py`). Decoding is CPU work: more threads than cores would
not make it faster."""

from __future__ import annotations

import asyncio
import io
import os
import warnings
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from PIL import Image

# Bytes a decode takes per pixel: RGB(A) pixels, the converted copy and the fitted one.
_BYTES_PER_PIXEL = 8
_DECODERS = ThreadPoolExecutor(
    max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="adapter-decode"
)
T = TypeVar("T")


async def decode(fn: Callable[[bytes], T], data: bytes) -> T:
    """`fn(data)` on the decode threads."""
    return await asyncio.get_running_loop().run_in_executor(_DECODERS, fn, data)


def decode_cost(data: bytes) -> int:
    """What decoding `data` will take, from its header alone (no pixel is decoded). Data
    that is no image costs its length: load_image refuses it with the exact reason."""
    try:
        with warnings.catch_warnings():
            # Only the header is read; load_image refuses oversized images with its reason.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
    except Exception:
        return len(data)
    return max(width * height * _BYTES_PER_PIXEL, len(data))


class ByteBudget:
    """At most `limit` bytes held at once; a holder larger than the whole budget waits
    until it is alone, then goes (the pixel limit, not this, bounds one page)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self.peak = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def hold(self, cost: int) -> AsyncIterator[None]:
        cost = min(cost, self.limit)
        async with self._changed:
            await self._changed.wait_for(lambda: self.held + cost <= self.limit)
            self.held += cost
            self.peak = max(self.peak, self.held)
        try:
            yield
        finally:
            async with self._changed:
                self.held -= cost
                self._changed.notify_all()
