"""The client's retry policy, against a scripted server (httpx.MockTransport) and a fake
clock: Retry-After as seconds and as an HTTP date, the budget, no retry on 4xx, and a 200
whose body is not a completion counted as a failed attempt."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Callable

import httpx
import pytest

from ocrkit.engines._http import RetryPolicy, post, retry_after
from ocrkit.errors import PageFailed
from ocrkit.model.reply import ChatReply, parse_chat_reply

COMPLETION = {
    "model": "m",
    "choices": [{"message": {"content": "Облигации"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2},
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(*responses: httpx.Response | Exception) -> tuple[httpx.AsyncClient, list[int]]:
    """A client whose server answers the given responses in turn (the last one repeats)."""
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(len(seen))
        answer = responses[min(len(seen) - 1, len(responses) - 1)]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.AsyncClient(base_url="http://ocr", transport=httpx.MockTransport(handler)), seen


def call(client: httpx.AsyncClient, budget: float = 300) -> tuple[ChatReply | Exception, FakeClock]:
    fake = FakeClock()
    policy = RetryPolicy(budget, sleep=fake.sleep, clock=fake.clock)

    async def go() -> ChatReply:
        async with client:
            return await post(client, "/v1/chat/completions", {}, policy, parse_chat_reply)

    try:
        return asyncio.run(go()), fake
    except PageFailed as exc:
        return exc, fake


def test_retry_after_in_seconds_is_honoured() -> None:
    client, seen = scripted(
        httpx.Response(503, headers={"Retry-After": "7"}, json={"detail": "loading"}),
        httpx.Response(200, json=COMPLETION),
    )
    reply, fake = call(client)
    assert isinstance(reply, ChatReply) and reply.text == "Облигации"
    assert fake.sleeps == [7.0] and len(seen) == 2


def test_retry_after_as_an_http_date() -> None:
    now = time.time()
    date = email.utils.formatdate(now + 12, usegmt=True)
    response = httpx.Response(429, headers={"Retry-After": date})
    assert retry_after(response, now=now) == pytest.approx(12, abs=1)
    past = email.utils.formatdate(now - 100, usegmt=True)
    assert retry_after(httpx.Response(429, headers={"Retry-After": past}), now=now) == 0
    # Capped, and nonsense is ignored (the backoff applies instead).
    assert retry_after(httpx.Response(429, headers={"Retry-After": "86400"})) == 60
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None


def test_the_budget_bounds_the_waiting() -> None:
    client, seen = scripted(httpx.Response(503, headers={"Retry-After": "10"}))
    error, fake = call(client, budget=35)
    assert isinstance(error, PageFailed)
    assert str(error) == "server answered 503: Service Unavailable"
    # Waits of 10 s while they end within 35 s: three, then the page fails.
    assert fake.sleeps == [10.0, 10.0, 10.0] and len(seen) == 4


def test_connection_errors_back_off_and_recover() -> None:
    refused = httpx.ConnectError("refused")
    client, seen = scripted(refused, refused, httpx.Response(200, json=COMPLETION))
    reply, fake = call(client)
    assert isinstance(reply, ChatReply) and len(seen) == 3
    assert len(fake.sleeps) == 2 and all(0 < s <= 15 for s in fake.sleeps)


def test_a_server_that_stays_down_fails_the_page_with_the_reason() -> None:
    client, _ = scripted(httpx.ConnectError("refused"))
    error, fake = call(client, budget=20)
    assert isinstance(error, PageFailed) and str(error) == "server unreachable: ConnectError"
    assert sum(fake.sleeps) <= 20


@pytest.mark.parametrize("status", [400, 401, 404, 413, 422])
def test_no_retry_on_a_client_error(status: int) -> None:
    client, seen = scripted(httpx.Response(status, json={"detail": "max_tokens too large"}))
    error, fake = call(client)
    assert isinstance(error, PageFailed)
    assert str(error) == f"server answered {status}: max_tokens too large"
    assert len(seen) == 1 and fake.sleeps == []


BAD_BODIES: dict[str, Callable[[], httpx.Response]] = {
    "html error page": lambda: httpx.Response(
        200, text="<html><body>Bad gateway</body></html>", headers={"content-type": "text/html"}
    ),
    "not JSON": lambda: httpx.Response(200, content=b"\x00\x01 binary"),
    "no choices": lambda: httpx.Response(200, json={"object": "chat.completion"}),
    "empty choices": lambda: httpx.Response(200, json={"choices": []}),
    "content null": lambda: httpx.Response(
        200, json={"choices": [{"message": {"content": None}, "finish_reason": "stop"}]}
    ),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_a_200_that_is_not_a_completion_is_a_failed_attempt(name: str) -> None:
    client, seen = scripted(BAD_BODIES[name](), httpx.Response(200, json=COMPLETION))
    reply, fake = call(client)
    assert isinstance(reply, ChatReply) and reply.text == "Облигации"  # retried, then good
    assert len(seen) == 2 and len(fake.sleeps) == 1
    client, _ = scripted(BAD_BODIES[name]())
    error, _ = call(client, budget=0)
    assert isinstance(error, PageFailed)
    assert str(error).startswith("server answered 200 but the reply is not")


def test_the_reply_fields_come_through() -> None:
    client, _ = scripted(httpx.Response(200, content=json.dumps(COMPLETION).encode()))
    reply, _ = call(client)
    assert reply == ChatReply(
        text="Облигации", finish_reason="stop", model="m", prompt_tokens=5, completion_tokens=2
    )
