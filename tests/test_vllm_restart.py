"""The shared vLLM stopped with SIGTERM and started again, once for the whole session (a
start costs ~40 s on 2 cores), with everything a restart must get right checked around it:
the server drains what is in flight and exits in time; while it is down the adapter says so;
an `ocrkit` run through the outage finishes every page exactly once; afterwards all serve."""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from harness.cli import env, json_run, pages_of
from harness.images import data_uri, page_png
from harness.names import ADAPTER_KEY, PAGES, QWEN_KEY, QWEN_NAME
from harness.servers import ManagedServer
from ocrkit import load_profile

pytestmark = pytest.mark.slow
AUTH = {"Authorization": f"Bearer {ADAPTER_KEY}"}


def ask(server: ManagedServer, **kwargs: object):  # type: ignore[no-untyped-def]
    prompt = load_profile("qwen2-vl-2b").client.prompts["russian"]
    image = {"type": "image_url", "image_url": {"url": data_uri(page_png())}}
    client = openai.OpenAI(base_url=server.url + "/v1", api_key=QWEN_KEY, max_retries=0)
    return client.chat.completions.create(
        model=QWEN_NAME,
        messages=[{"role": "user", "content": [image, {"type": "text", "text": prompt}]}],
        temperature=0,
        extra_body={"ignore_eos": True},
        **kwargs,
    )


def adapter_ocr(adapter: ManagedServer) -> httpx.Response:
    body = {"image": base64.b64encode(page_png()).decode(), "max_tokens": 2}
    return httpx.post(adapter.url + "/ocr", json=body, headers=AUTH, timeout=120)


def test_sigterm_drains_and_everything_recovers_after_a_restart(
    qwen_server: ManagedServer, qwen_adapter: ManagedServer, pdf20: Path, tmp_path: Path
) -> None:
    assert httpx.get(qwen_adapter.url + "/health", timeout=60).json()["status"] == "healthy"

    # A client run straight at vLLM, under way when vLLM goes down.
    out = tmp_path / "out.json"
    # A retry budget no outage here comes near: the run waits vLLM out however slow the
    # machine is (its start-up under load included).
    environ = env(
        tmp_path, OCRKIT_API_KEY=QWEN_KEY, OCRKIT_QUALITY_RETRIES="0", OCRKIT_RETRY_BUDGET="1800"
    )
    run = json_run(pdf20, qwen_server.url, out, environ, concurrency=2)
    run.wait_for_pages(3)
    # Frozen until vLLM is down: a fast machine could otherwise finish all 20 pages while the
    # long stream below starts, and the outage would fall after the run.
    run.pause()

    # A long stream in flight when SIGTERM comes.
    finish: list[str | None] = []
    first_chunk = threading.Event()

    def stream() -> None:
        for chunk in ask(qwen_server, max_tokens=300, stream=True):
            first_chunk.set()
            if chunk.choices and chunk.choices[0].finish_reason:
                finish.append(chunk.choices[0].finish_reason)

    worker = threading.Thread(target=stream)
    worker.start()
    # And a client frozen half-way through sending its request (as the paused run may be):
    # it must not keep vLLM from exiting.
    stalled = socket.create_connection(("127.0.0.1", qwen_server.port), timeout=240)
    stalled.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: vllm\r\n"
        + f"Authorization: Bearer {QWEN_KEY}\r\n".encode()
        + b'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"model": '
    )
    try:
        assert first_chunk.wait(120)
        qwen_server.stop(timeout=180)  # a guard against a hang, not a measure
    finally:
        run.resume()
    worker.join(30)
    # A clean exit with the stream drained: vLLM shut down gracefully, nothing killed it.
    assert qwen_server.proc is not None and qwen_server.proc.returncode == 0
    assert finish == ["length"], "the in-flight stream was cut instead of drained"
    # The stalled request was cut: a server error (a client retries it), then the connection
    # closes.
    reply = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := stalled.recv(65536):
            reply += chunk
    stalled.close()
    assert reply == b"" or reply.startswith(b"HTTP/1.1 500 "), reply[:200]

    # Down: the adapter says so on every route, and is never restarted.
    down = httpx.get(qwen_adapter.url + "/health", timeout=60)
    assert down.status_code == 503
    assert down.json()["status"] in ("loading", "unhealthy")
    r = adapter_ocr(qwen_adapter)
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert "not reachable" in r.json()["detail"]
    assert httpx.get(qwen_adapter.url + "/v1/models", headers=AUTH, timeout=60).status_code == 503
    time.sleep(2)
    done_while_down = run.pages_done()

    qwen_server.start()
    # The run waited the outage out: every page, each exactly once.
    assert run.finish() == 0, "".join(run.lines)
    assert done_while_down < PAGES  # the outage really fell inside the run
    pages = pages_of(out)
    assert [p["page"] for p in pages] == list(range(1, PAGES + 1))
    assert all(p["source"] == "ocr" for p in pages)
    assert run.pages_done() == PAGES
    # vLLM and the adapter serve again.
    again = ask(qwen_server, max_tokens=2)
    assert again.choices[0].finish_reason == "length"
    assert again.usage is not None and again.usage.completion_tokens == 2
    assert adapter_ocr(qwen_adapter).status_code == 200
    assert httpx.get(qwen_adapter.url + "/health", timeout=60).json()["status"] == "healthy"
