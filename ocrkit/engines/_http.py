"""The server engines' policy over the one HTTP client (`ocrkit.model.transport`): retry
within a page's time budget, and fail fast when the server is not there at all."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, wait_exponential_jitter

from ocrkit.errors import EngineUnavailable, PageFailed, ReplyError
from ocrkit.model.transport import ServerClient, error_detail, retry_after, retrying
from ocrkit.options import OcrOptions

T = TypeVar("T")
RETRY_STATUSES = {429, 500, 502, 503, 504}
_backoff = wait_exponential_jitter(initial=1, max=15)


@dataclass
class RetryPolicy:
    """Retry connection errors, timeouts, 429, 5xx and malformed 200s for `budget` seconds
    of the page's time, honouring Retry-After. `sleep` and `clock` are what tests replace."""

    budget: float
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    clock: Callable[[], float] = field(default=time.monotonic)


class _Transient(Exception):
    def __init__(self, detail: str, response: httpx.Response | None = None) -> None:
        super().__init__(detail)
        self.detail, self.response = detail, response


def make_client(options: OcrOptions, base_url: str) -> ServerClient:
    return ServerClient(base_url, api_key=options.api_key, timeout=options.timeout)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _Transient) and exc.response is not None:
        asked = retry_after(exc.response)
        if asked is not None:
            return asked
    return _backoff(state)


def _transient(exc: BaseException) -> bool:
    # A repeated OCR request is harmless (it only costs time), so timeouts are retried too.
    return isinstance(exc, _Transient | httpx.TransportError)


async def post(
    client: ServerClient,
    path: str,
    body: dict[str, Any],
    policy: RetryPolicy,
    parse: Callable[[bytes], T],
) -> T:
    """POST and parse the 200 reply, retried under `policy`; raises PageFailed with the
    reason once the budget is spent, or at once for a 4xx other than 429."""
    started = policy.clock()

    def out_of_budget(state: RetryCallState) -> bool:
        # Stop before a wait that would end past the budget, not after it.
        return policy.clock() - started + state.upcoming_sleep > policy.budget

    async def attempt() -> T:
        response = await client.post(path, json=body)
        if response.status_code in RETRY_STATUSES:
            detail = f"server answered {response.status_code}: {error_detail(response)}"
            raise _Transient(detail, response)
        if response.status_code != 200:
            raise PageFailed(f"server answered {response.status_code}: {error_detail(response)}")
        try:
            return parse(response.content)
        except ReplyError as exc:
            # A proxy's error page or a half-broken server: as transient as a 502.
            raise _Transient(f"server answered 200 but {exc}") from None

    try:
        return await retrying(
            attempt, retry=_transient, stop=out_of_budget, wait=_wait, sleep=policy.sleep
        )
    except _Transient as exc:
        raise PageFailed(exc.detail) from None
    except httpx.TransportError as exc:
        raise PageFailed(f"server unreachable: {type(exc).__name__}") from None


async def check_reachable(client: ServerClient, path: str) -> httpx.Response:
    """One quick request before the run: a server that is down fails the run at once."""
    try:
        response = await client.get(path, timeout=httpx.Timeout(10, connect=3))
    except httpx.TransportError as exc:
        raise EngineUnavailable(
            f"no OCR server at {client.base_url} ({type(exc).__name__}); start one, or pass "
            "--url, or use --engine tesseract"
        ) from None
    if response.status_code in (401, 403):
        raise EngineUnavailable(f"{client.base_url} refused the API key (set OCRKIT_API_KEY)")
    return response
