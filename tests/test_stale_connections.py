"""A pooled keep-alive connection that the upstream closes just as it is reused (the race
behind a 502 nobody could explain): the request never reached the model, so the one HTTP
client (`ocrkit.model.transport`), in the adapter and in the client engines alike, sends it
again on a fresh connection. Against a real HTTP server on loopback that hangs up on every
reused connection without answering, the worst case of that race."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import ocrkit
from adapter import AdapterSettings, create_app
from harness.fakes import counter, make_pdf
from harness.images import page_png

COMPLETION = json.dumps(
    {
        "model": "served",
        "choices": [{"message": {"content": "Облигации"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    }
).encode()


class HangUpOnReuse:
    """HTTP/1.1 with keep-alive; a POST on a connection that already served a request is met
    by closing the connection, nothing sent back (as a server whose keep-alive expired)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.hung_up = 0
        self.answered = 0
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0)
        )
        self.port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served = 0
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                length = int({k.lower(): v for k, v in headers.items()}.get("content-length", 0))
                if length:
                    await reader.readexactly(length)
                if method == "POST" and served:
                    self.hung_up += 1
                    break
                if path == "/v1/models":
                    body = b'{"data": [{"id": "served"}]}'
                elif path == "/v1/chat/completions":
                    body = COMPLETION
                    self.answered += 1
                else:
                    body = b"{}"
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                served += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def upstream() -> Iterator[HangUpOnReuse]:
    server = HangUpOnReuse()
    yield server
    server.close()


def test_rounds_of_concurrent_calls_over_expiring_connections_all_succeed(
    upstream: HangUpOnReuse, caplog: pytest.LogCaptureFixture
) -> None:
    settings = AdapterSettings(
        SERVING_PROFILE="qwen2-vl-2b",
        SERVED_MODEL_NAME="served",
        UPSTREAM_URL=f"http://127.0.0.1:{upstream.port}",
    )
    app = create_app(settings)
    body = {"image": base64.b64encode(page_png(300, 300)).decode(), "max_tokens": 4}

    async def rounds() -> tuple[list[int], str, str]:
        statuses: list[int] = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://adapter") as c:
                before = (await c.get("/metrics")).text
                for _ in range(3):
                    replies = await asyncio.gather(
                        *(c.post("/ocr", json=body, timeout=30) for _ in range(16))
                    )
                    statuses += [r.status_code for r in replies]
                after = (await c.get("/metrics")).text
        return statuses, before, after

    with caplog.at_level(logging.WARNING, logger="adapter"):
        statuses, before, after = asyncio.run(rounds())
    assert statuses == [200] * 48
    assert upstream.hung_up > 0, "the rounds never reused a connection: nothing was tested"
    assert upstream.answered == 48
    retries = "ocrkit_adapter_upstream_retries_total"
    retried = counter(after, retries, cause="RemoteProtocolError") - counter(
        before, retries, cause="RemoteProtocolError"
    )
    assert retried == upstream.hung_up  # each one sent again, once, on a new connection
    assert not [r for r in caplog.records if "->" in r.getMessage()]  # no 5xx logged


def test_the_client_engines_resend_on_a_stale_connection_too(
    upstream: HangUpOnReuse, tmp_path: Path
) -> None:
    """The same HTTP client serves `ocrkit --engine openai`: with no retry budget at all,
    every page still comes back, each reused connection's page sent again once."""
    pdf = make_pdf(tmp_path / "doc.pdf", [str(i) for i in range(12)])
    doc = ocrkit.ocr(
        pdf,
        engine="openai",
        url=f"http://127.0.0.1:{upstream.port}",
        route="ocr",
        retry_budget=0,
        quality_retries=0,
        concurrency=4,
        cache_dir=tmp_path / "cache",
    )
    assert [p.source for p in doc.pages] == ["ocr"] * 12, [p.error for p in doc.pages]
    assert upstream.hung_up > 0, "no connection was reused: nothing was tested"
    assert upstream.answered == 12
