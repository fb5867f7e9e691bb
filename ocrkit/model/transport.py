"""The one HTTP client to a model server (vLLM, the adapter, a router), used by the client's
server engines and by the adapter alike:

- `ServerClient`: a pooled connection with the API key, and one resend on a fresh
  connection of a request whose pooled keep-alive connection the server had closed (the
  request never reached it, so sending it again is always safe);
- `retrying`: the retry loop (tenacity), under the rule each caller gives: the client
  retries within a page's time budget, the adapter a few times and only where vLLM surely
  did not see the request;
- `error_detail` and `retry_after`: what an error reply says, whichever server sent it.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.stop import StopBaseT
from tenacity.wait import WaitBaseT

T = TypeVar("T")
MAX_RETRY_AFTER_S = 60.0


def never_reached(exc: BaseException) -> bool:
    """A pooled keep-alive connection the server closed just as it was reused: the request
    was not written, or the server hung up before reading it and sent nothing back."""
    if isinstance(exc, httpx.WriteError):
        return True
    return isinstance(exc, httpx.RemoteProtocolError) and "without sending a response" in str(exc)


class ServerClient:
    """A pooled HTTP client for one server. `send` resends once, on a new connection, a
    request that failed on a stale pooled one (`on_resend` hears of each)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: SecretStr | None = None,
        timeout: float | None,
        connect_timeout: float = 10,
        max_connections: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_resend: Callable[[BaseException], None] | None = None,
    ) -> None:
        headers = {}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections or 256,
            ),
        )
        # A new connection each time: every other idle connection may have expired too.
        self._fresh = httpx.AsyncClient(
            transport=transport,
            timeout=self.client.timeout,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._on_resend = on_resend

    @property
    def base_url(self) -> httpx.URL:
        return self.client.base_url

    @property
    def headers(self) -> httpx.Headers:
        """What every request carries (the API key's Authorization, when there is one)."""
        return self.client.headers

    def build_request(self, method: str, url: str, **kwargs: Any) -> httpx.Request:
        return self.client.build_request(method, url, **kwargs)

    async def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return await self.client.send(request, stream=stream)
        except httpx.HTTPError as exc:
            if not never_reached(exc):
                raise
            if self._on_resend is not None:
                self._on_resend(exc)
            return await self._fresh.send(request, stream=stream)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        timeout = kwargs.pop("timeout", httpx.USE_CLIENT_DEFAULT)
        request = self.build_request(method, url, timeout=timeout, **kwargs)
        return await self.send(request)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def aclose(self) -> None:
        await self.client.aclose()
        await self._fresh.aclose()


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    *,
    retry: Callable[[BaseException], bool],
    stop: StopBaseT,
    wait: WaitBaseT,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> T:
    """`attempt()` until it returns, or raises what `retry` rejects, or `stop` says enough:
    then its last exception is raised as it was."""
    async for state in AsyncRetrying(
        retry=retry_if_exception(retry),
        stop=stop,
        wait=wait,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    ):
        with state:
            return await attempt()
    raise AssertionError("unreachable: tenacity either returns or raises")


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


def error_detail(response: httpx.Response, limit: int = 500) -> str:
    """FastAPI's `{"detail": ...}`, OpenAI's and vLLM's `{"error": {"message": ...}}`, or the
    text itself, cut to `limit` characters; the reason phrase for an empty body."""
    if not response.content.strip():
        return response.reason_phrase
    try:
        body = response.json()
    except ValueError:
        return response.text[:limit]
    if isinstance(body, dict):
        error = body.get("detail") or body.get("error") or body
        if isinstance(error, dict):
            error = error.get("message", error)
        return str(error)[:limit]
    return str(body)[:limit]
