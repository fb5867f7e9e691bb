"""Scale-out for real over loopback: two tiny vLLM-CPU replicas behind vllm-router, the
adapter and ocrkit pointed at the router; one replica is stopped in mid-run."""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.cli import json_run
from harness.images import page_png
from harness.names import PAGES, QWEN_NAME
from harness.servers import VLLM_VENV, ManagedServer, adapter_server, free_port, vllm_server

pytestmark = pytest.mark.slow
KEY = "replica-key-5c1d"
ROUTER_BIN = VLLM_VENV.parent / "router" / "bin" / "vllm-router"


@pytest.fixture(scope="module")
def replicas(tiny_qwen: Path, logs_dir: Path) -> Iterator[list[ManagedServer]]:
    servers = [
        vllm_server(
            f"replica-{i}",
            logs_dir,
            "qwen2-vl-2b",
            {"QWEN_MODEL": str(tiny_qwen), "SERVED_MODEL_NAME": QWEN_NAME, "SERVING_API_KEY": KEY},
        )
        for i in range(2)
    ]
    try:
        for s in servers:
            s.start()
        yield servers
    finally:
        for s in servers:
            s.kill()


@pytest.fixture(scope="module")
def router(replicas: list[ManagedServer], logs_dir: Path) -> Iterator[ManagedServer]:
    if not ROUTER_BIN.exists():
        raise RuntimeError(f"{ROUTER_BIN} is missing: run scripts/install-router.sh")
    port, metrics = free_port(), free_port()
    # The same arguments as compose.yaml's router service, with loopback addresses. No
    # --api-key: the adapter's Authorization header reaches the replicas as it is.
    argv = [
        str(ROUTER_BIN),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--worker-urls",
        *(r.url for r in replicas),
        "--policy",
        "round_robin",
        "--health-check-interval-secs",
        "2",
        "--health-failure-threshold",
        "1",
        "--prometheus-host",
        "127.0.0.1",
        "--prometheus-port",
        str(metrics),
    ]
    server = ManagedServer("router", argv, {}, port, logs_dir)
    server.metrics_url = f"http://127.0.0.1:{metrics}/metrics"  # type: ignore[attr-defined]
    server.start(timeout=120)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def adapter(router: ManagedServer, logs_dir: Path) -> Iterator[ManagedServer]:
    server = adapter_server(
        "adapter-scale",
        logs_dir,
        {
            "SERVING_PROFILE": "qwen2-vl-2b",
            "UPSTREAM_URL": router.url,
            "UPSTREAM_API_KEY": KEY,
            "UPSTREAM_HEALTH_PATH": "/readiness",
            "SERVED_MODEL_NAME": QWEN_NAME,
        },
    )
    server.start()
    yield server
    server.stop()


def served_by(router: ManagedServer) -> dict[str, float]:
    text = httpx.get(router.metrics_url).text  # type: ignore[attr-defined]
    return {
        w: float(n)
        for w, n in re.findall(
            r'vllm_router_processed_requests_total\{worker="([^"]+)"\} (\S+)', text
        )
    }


def test_twenty_pages_survive_losing_a_replica(
    adapter: ManagedServer,
    router: ManagedServer,
    replicas: list[ManagedServer],
    tmp_path: Path,
    pdf20: Path,
) -> None:
    assert httpx.get(adapter.url + "/health").json()["status"] == "healthy"
    legacy = httpx.post(
        adapter.url + "/ocr",
        timeout=120,
        json={"image": base64.b64encode(page_png()).decode(), "max_tokens": 2},
    )
    assert legacy.status_code == 200, legacy.text

    out = tmp_path / "out.json"
    run = json_run(
        pdf20,
        adapter.url,
        out,
        {
            "PATH": os.environ["PATH"],
            "OCRKIT_CACHE_DIR": str(tmp_path / "cache"),
            "OCRKIT_QUALITY_RETRIES": "0",
        },
    )
    run.wait_for_pages(4)
    before = served_by(router)
    replicas[1].stop()
    assert run.finish() == 0, "".join(run.lines)
    pages = json.loads(out.read_text())["pages"]
    assert [p["page"] for p in pages] == list(range(1, PAGES + 1))
    assert all(p["source"] == "ocr" for p in pages)
    after = served_by(router)
    survivor, lost = replicas[0].url, replicas[1].url
    assert before[lost] > 0 and before[survivor] > 0  # both replicas served
    assert after[survivor] > before[survivor]  # the rest went to the one still up
    # Degraded, not down: once the router has noticed (its checks run every 2 s), the
    # adapter is healthy again while one replica serves.
    deadline = time.monotonic() + 20
    while (health := httpx.get(adapter.url + "/health")).status_code != 200:
        assert time.monotonic() < deadline, health.text
        time.sleep(1)
