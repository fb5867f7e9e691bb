"""What the two server engines share: a pooled client and the retry policy."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from ocrkit.engines.base import EngineUnavailable, PageFailed
from ocrkit.http_errors import error_detail
from ocrkit.options import OcrOptions

RETRY_STATUSES = {429, 500, 502, 503, 504}
_backoff = wait_exponential_jitter(initial=1, max=15)


class _Transient(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


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


def _retry_after(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _Transient):
        header = exc.response.headers.get("retry-after")
        if header:
            try:
                return min(float(header), 60.0)
            except ValueError:
                when = email.utils.parsedate_to_datetime(header)
                return max(0.0, min(when.timestamp() - time.time(), 60.0))
    return _backoff(state)


def _transient(exc: BaseException) -> bool:
    # A repeated OCR request is harmless (it only costs time), so timeouts are retried too.
    return isinstance(exc, _Transient | httpx.TransportError)


async def post_json(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], budget: float
) -> dict[str, Any]:
    """POST with retries on connection errors, timeouts, 429 and 5xx (Retry-After honoured)
    for up to `budget` seconds; raises PageFailed with the reason."""
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=_retry_after,
            stop=stop_after_delay(budget),
            reraise=True,
        ):
            with attempt:
                response = await client.post(path, json=body)
                if response.status_code in RETRY_STATUSES:
                    raise _Transient(response)
    except _Transient as exc:
        raise PageFailed(
            f"server answered {exc.response.status_code}: {error_detail(exc.response)}"
        ) from None
    except httpx.TransportError as exc:
        raise PageFailed(f"server unreachable: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise PageFailed(f"server answered {response.status_code}: {error_detail(response)}")
    try:
        return response.json()
    except ValueError:
        raise PageFailed("server answered with something that is not JSON") from None


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
