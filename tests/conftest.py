from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.names import (
    ADAPTER_KEY,
    ADAPTER_MAX_NEW_TOKENS,
    PAGES,
    QWEN_KEY,
    QWEN_NAME,
)
from harness.servers import (
    ManagedServer,
    adapter_server,
    build_tiny_model,
    recording_tap,
    vllm_server,
)
from harness.timings import record
from samples.make_sample import scanned


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Each phase of each test into the CI time record (bench/ci_time.py)."""
    record("test", report.nodeid, report.duration, phase=report.when)


@pytest.fixture(scope="session")
def pdf20(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20-page scanned Russian prospectus (the sample's two pages, repeated): no text
    layer, so the default route OCRs every page."""
    path = tmp_path_factory.mktemp("docs") / "prospectus20.pdf"
    path.write_bytes(scanned(PAGES))
    return path


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model("qwen2-vl", tmp_path_factory.mktemp("tiny-qwen2-vl"))


@pytest.fixture(scope="session")
def qwen_server(tiny_qwen: Path, logs_dir: Path) -> Iterator[ManagedServer]:
    """One real vLLM serving the tiny Qwen2-VL under the real qwen2-vl-2b profile, shared by
    the whole test session; key-protected like a production upstream."""
    server = vllm_server(
        "vllm-qwen",
        logs_dir,
        "qwen2-vl-2b",
        {
            "QWEN_MODEL": str(tiny_qwen),
            "SERVED_MODEL_NAME": "tiny-qwen2-vl",
            "SERVING_API_KEY": QWEN_KEY,
            "SERVING_PLAN_FILE": str(logs_dir / "qwen-plan.json"),
            "SERVING_SHUTDOWN_TIMEOUT": "20",
            # What compose passed vLLM before: it must not cap replies (see the adapter test).
            "MAX_NEW_TOKENS": str(ADAPTER_MAX_NEW_TOKENS),
        },
    )
    server.start()
    yield server
    server.kill()


def _qwen_adapter(name: str, upstream: str, logs_dir: Path) -> ManagedServer:
    return adapter_server(
        name,
        logs_dir,
        {
            "SERVING_PROFILE": "qwen2-vl-2b",
            "UPSTREAM_URL": upstream,
            "UPSTREAM_API_KEY": QWEN_KEY,
            "ADAPTER_API_KEY": ADAPTER_KEY,
            "SERVED_MODEL_NAME": QWEN_NAME,
            "SERVING_PLAN_FILE": str(logs_dir / "qwen-plan.json"),
            "MAX_NEW_TOKENS": str(ADAPTER_MAX_NEW_TOKENS),
            "ADAPTER_MAX_BODY_MB": "4",
            "UPSTREAM_RETRIES": "1",
        },
    )


@pytest.fixture(scope="session")
def qwen_adapter(qwen_server: ManagedServer, logs_dir: Path) -> Iterator[ManagedServer]:
    """The adapter in front of `qwen_server`, protected by its own key."""
    server = _qwen_adapter("adapter-qwen", qwen_server.url, logs_dir)
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def qwen_tap(qwen_server: ManagedServer, logs_dir: Path) -> Iterator[ManagedServer]:
    """A recording tap in front of `qwen_server` (harness/recording_tap.py)."""
    server = recording_tap("tap-qwen", logs_dir, qwen_server.url)
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def tapped_adapter(qwen_tap: ManagedServer, logs_dir: Path) -> Iterator[ManagedServer]:
    """An adapter configured as `qwen_adapter` whose upstream is `qwen_tap`: what it hands
    its client can be compared with what vLLM sent for the same request."""
    server = _qwen_adapter("adapter-qwen-tapped", qwen_tap.url, logs_dir)
    server.start()
    yield server
    server.kill()
