"""The adapter's connection to vLLM (the one HTTP client, `ocrkit.model.transport`), its
bounded retries, and its failures as the HTTP statuses the adapter's clients get."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, stop_after_attempt, wait_exponential_jitter

from adapter.metrics import UPSTREAM_RETRIES, UPSTREAM_SECONDS
from adapter.settings import AdapterSettings
from ocrkit.errors import ReplyError
from ocrkit.model.reply import ChatReply, parse_chat_reply
from ocrkit.model.transport import ServerClient, error_detail, retrying

RETRY_AFTER_S = 5


class UpstreamError(Exception):
    """vLLM could not answer; `status` is what the adapter's client gets, `cause` what went
    wrong in one word for logs and /metrics (an exception class, `status_NNN`, `reply`)."""

    def __init__(
        self, status: int, detail: str, retry_after: int | None = None, *, cause: str
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after
        self.cause = cause


class _Unavailable(Exception):
    """vLLM answered 503: retried like a refused connection."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response


def _retryable(exc: BaseException) -> bool:
    # Only failures where the request surely did not reach the model.
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | _Unavailable)


def _count_retry(state: RetryCallState) -> None:
    failed = state.outcome.exception() if state.outcome else None
    cause = "status_503" if isinstance(failed, _Unavailable) else type(failed).__name__
    UPSTREAM_RETRIES.labels(cause).inc()


def _count_resend(exc: BaseException) -> None:
    UPSTREAM_RETRIES.labels(type(exc).__name__).inc()


@dataclass
class UpstreamHealth:
    status: str  # healthy | loading | unhealthy
    detail: str | None
    models: list[str]


class Upstream:
    def __init__(
        self, settings: AdapterSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.client = ServerClient(
            settings.upstream_url,
            api_key=settings.upstream_api_key,
            timeout=settings.upstream_timeout,
            connect_timeout=settings.upstream_connect_timeout,
            max_connections=settings.upstream_max_connections,
            transport=transport,
            on_resend=_count_resend,
        )
        self.retries = settings.upstream_retries
        self.health_path = settings.upstream_health_path
        self._models_seen: list[str] = []

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send with retries on refused connections and 503s; raises UpstreamError when
        vLLM is down, not ready, or too slow."""
        endpoint = request.url.path
        started = time.perf_counter()

        async def attempt() -> httpx.Response:
            response = await self.client.send(request, stream=stream)
            if response.status_code == 503:
                await response.aclose()
                raise _Unavailable(response)
            return response

        try:
            return await retrying(
                attempt,
                retry=_retryable,
                stop=stop_after_attempt(self.retries + 1),
                wait=wait_exponential_jitter(multiplier=0.2, max=2),
                before_sleep=_count_retry,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            cause = type(exc).__name__
            detail = f"upstream model server is not reachable ({cause})"
            raise UpstreamError(503, detail, RETRY_AFTER_S, cause=cause) from None
        except _Unavailable:
            detail = "upstream model server is not ready"
            raise UpstreamError(503, detail, RETRY_AFTER_S, cause="status_503") from None
        except httpx.TimeoutException as exc:
            cause = type(exc).__name__
            detail = f"upstream model server timed out ({cause})"
            raise UpstreamError(504, detail, cause=cause) from None
        except httpx.HTTPError as exc:
            cause = type(exc).__name__
            raise UpstreamError(502, f"upstream connection failed ({cause})", cause=cause) from None
        finally:
            UPSTREAM_SECONDS.labels(endpoint).observe(time.perf_counter() - started)

    async def chat(self, body: dict[str, Any]) -> ChatReply:
        """One chat completion, parsed by the one reply parser; anything but a usable
        completion is an UpstreamError with the status the adapter's client gets."""
        response = await self.send(
            self.client.build_request("POST", "/v1/chat/completions", json=body)
        )
        if response.status_code == 200:
            try:
                return parse_chat_reply(response.content)
            except ReplyError as exc:
                detail = f"upstream answered 200 but {exc}"
                raise UpstreamError(502, detail, cause="reply") from None
        message = error_detail(response)
        cause = f"status_{response.status_code}"
        if response.status_code in (400, 422):
            # The request cannot be served as asked (e.g. max_tokens beyond the context):
            # the client's to fix, so it gets a 400 with vLLM's reason.
            raise UpstreamError(400, f"upstream rejected the request: {message}", cause=cause)
        if response.status_code in (401, 403):
            detail = "upstream refused the adapter's credentials (UPSTREAM_API_KEY)"
            raise UpstreamError(502, detail, cause=cause)
        raise UpstreamError(502, f"upstream error {response.status_code}: {message}", cause=cause)

    async def health(self, model: str) -> UpstreamHealth:
        try:
            health = await self.client.get(self.health_path, timeout=5)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            return UpstreamHealth("loading", "upstream model server is not reachable yet", [])
        except httpx.HTTPError as exc:
            return UpstreamHealth(
                "unhealthy", f"upstream {self.health_path} failed: {type(exc).__name__}", []
            )
        if health.status_code != 200:
            return UpstreamHealth(
                "loading", f"upstream {self.health_path} answered {health.status_code}", []
            )
        try:
            listing = await self.client.get("/v1/models", timeout=5)
            listing.raise_for_status()
            models = [m["id"] for m in listing.json()["data"]]
            self._models_seen = models
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            # Behind a router, /v1/models goes to one replica, which may be the one that
            # just died while its health check has not noticed yet: what a replica listed
            # before stays true while the health path says others serve.
            models = self._models_seen
        if model not in models:
            return UpstreamHealth("unhealthy", f"upstream does not serve {model!r}", models)
        return UpstreamHealth("healthy", None, models)

    async def version(self) -> str | None:
        try:
            response = await self.client.get("/version", timeout=5)
            return response.json().get("version") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
