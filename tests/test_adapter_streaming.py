"""The adapter's /v1 proxy streams: each server-sent event reaches the client before the
upstream sends the next. Shown against an upstream that paces its events by the client's
progress (harness/pacing_upstream.py), both served over loopback by real uvicorn servers,
so the outcome depends on the order of events only, never on this machine's speed. The same
bytes as vLLM's own stream: tests/test_adapter_qwen.py (a recording tap before real vLLM)."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapter import AdapterSettings, create_app
from harness.pacing_upstream import PacingUpstream
from harness.threaded_server import ThreadedServer

TOKENS = [f"Облигация {i}. " for i in range(40)]
BODY = {"model": "served", "messages": [{"role": "user", "content": "Облигации"}], "stream": True}


def read_in_step(url: str, upstream: PacingUpstream) -> bytes:
    """Streams a chat completion from `url`, releasing the upstream's next event as each
    one arrives whole; returns the bytes received."""
    received = b""
    with httpx.stream("POST", url + "/v1/chat/completions", json=BODY, timeout=300) as r:
        assert r.status_code == 200, r.read()
        for chunk in r.iter_raw():
            before = received.count(b"\n\n")
            received += chunk
            for _ in range(received.count(b"\n\n") - before):
                upstream.release()
    return received


def adapter_for(upstream_url: str) -> Starlette:
    return create_app(
        AdapterSettings(
            SERVING_PROFILE="qwen2-vl-2b",
            SERVED_MODEL_NAME="served",
            UPSTREAM_URL=upstream_url,
            UPSTREAM_RETRIES="0",
        )
    )


def test_each_event_reaches_the_client_before_the_upstream_sends_the_next() -> None:
    upstream = PacingUpstream("served", TOKENS)
    with ThreadedServer(upstream.app) as up, ThreadedServer(adapter_for(up.url)) as adapter:
        received = read_in_step(adapter.url, upstream)
    assert upstream.stalled_after is None, "the adapter held an event back"
    assert received == upstream.sent  # the same bytes: the same events, in the same order
    assert received.count(b"\n\n") == len(TOKENS) + 1


def buffering_proxy(upstream_url: str) -> Starlette:
    """What the test must catch: a proxy that reads the upstream's whole reply first."""

    async def forward(request: Request) -> Response:
        async with httpx.AsyncClient(base_url=upstream_url, timeout=300) as client:
            reply = await client.post(request.url.path, content=await request.body())
        return Response(reply.content, media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", forward, methods=["POST"])])


def test_a_proxy_that_buffers_is_caught() -> None:
    # The control: the same reading through a proxy that buffers stalls at the first event
    # (the upstream gives up pacing after `give_up_s`, so the test ends instead of hanging).
    upstream = PacingUpstream("served", TOKENS, give_up_s=1.0)
    with ThreadedServer(upstream.app) as up, ThreadedServer(buffering_proxy(up.url)) as proxy:
        received = read_in_step(proxy.url, upstream)
    assert upstream.stalled_after == 0
    assert received == upstream.sent
