from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import ManagedServer, build_tiny_model, vllm_server

QWEN_KEY = "test-upstream-key-3f9c"


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model("qwen2-vl", tmp_path_factory.mktemp("tiny-qwen2-vl"))


@pytest.fixture(scope="session")
def tiny_deepseek(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model("deepseek-ocr", tmp_path_factory.mktemp("tiny-deepseek-ocr"))


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
        },
    )
    server.start()
    yield server
    server.kill()
