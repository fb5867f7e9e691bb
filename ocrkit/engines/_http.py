"""What the two server engines share: a pooled client and the retry policy."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential_jitter

from ocrkit.errors import EngineUnavailable, PageFailed, ReplyError
from ocrkit.model.http_errors import error_detail
from ocrkit.options import OcrOptions

T = TypeVar("T")
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER_S = 60.0
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


def make_client(options: OcrOptions, base_url: str) -> httpx.AsyncClient:
    headers = {}
    if options.api_key is not None:
        headers["Authorization"] = f"Bearer {options.api_key.get_secret_value()}"
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=httpx.Timeout(options.timeout, connect=10),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
    )


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (as seconds or as an HTTP date), capped at
    a minute; None when there is no usable header."""
    header = response.headers.get("retry-after")
    if not header:
        return None
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, min(seconds, MAX_RETRY_AFTER_S))


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
    client: httpx.AsyncClient,
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

    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=_wait,
            stop=out_of_budget,
            sleep=policy.sleep,
            reraise=True,
        ):
            with attempt:
                response = await client.post(path, json=body)
                if response.status_code in RETRY_STATUSES:
                    raise _Transient(
                        f"server answered {response.status_code}: {error_detail(response)}",
                        response,
                    )
                if response.status_code != 200:
                    raise PageFailed(
                        f"server answered {response.status_code}: {error_detail(response)}"
                    )
                try:
                    return parse(response.content)
                except ReplyError as exc:
                    # A proxy's error page or a half-broken server: as transient as a 502.
                    raise _Transient(f"server answered 200 but {exc}") from None
    except _Transient as exc:
        raise PageFailed(exc.detail) from None
    except httpx.TransportError as exc:
        raise PageFailed(f"server unreachable: {type(exc).__name__}") from None
    raise AssertionError("unreachable: tenacity either returns or raises")


async def check_reachable(client: httpx.AsyncClient, path: str) -> httpx.Response:
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
