"""`ocrkit` against real servers over loopback: vLLM, the adapter's /v1 and legacy /ocr, and
vLLM in-process. The tiny model's words are noise; pages, metadata and counts are not."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.cli import SAMPLE, Background, env, ocrkit, pages_of
from harness.images import page_png
from harness.names import ADAPTER_KEY, PAGES, QWEN_KEY, QWEN_NAME
from harness.servers import VLLM_CPU_ENV, ManagedServer, counting_proxy, vllm_venv_bin
from ocrkit.model.quality import needs_retry

pytestmark = pytest.mark.slow


@pytest.fixture
def proxy(qwen_server: ManagedServer, logs_dir: Path) -> Iterator[ManagedServer]:
    # The first page waits at the proxy until a second is in flight: concurrency is shown
    # by the client's behaviour, not by how the machine happened to schedule it.
    server = counting_proxy("counting-proxy", logs_dir, qwen_server.url, hold_first=True)
    server.start()
    yield server
    server.stop()


def test_twenty_pages_with_metadata_and_bounded_concurrency(
    pdf20: Path, proxy: ManagedServer, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    proc = ocrkit(
        pdf20,
        "--engine",
        "openai",
        "--url",
        proxy.url,
        "--concurrency",
        "3",
        "--max-tokens",
        "8",
        "--format",
        "json",
        "-o",
        out,
        environ=env(tmp_path, OCRKIT_API_KEY=QWEN_KEY),
    )
    assert proc.returncode == 0, proc.stderr
    pages = pages_of(out)
    assert [p["page"] for p in pages] == list(range(1, PAGES + 1))
    for p in pages:
        assert p["source"] == "ocr" and p["engine"] == "openai" and p["model"] == QWEN_NAME
        # A reply cut at max_tokens (or looping) is asked for again, at rising temperature,
        # up to twice; a page stops early only on a reply that needs no retry.
        assert 1 <= p["attempts"] <= 3
        if p["attempts"] < 3:
            assert needs_retry(p["text"], p["finish_reason"]) is None
        if p["finish_reason"] == "length":
            assert p["attempts"] == 3
        assert p["completion_tokens"] <= 8 and p["prompt_tokens"] > 400
        assert p["seconds"] > 0 and p["error"] is None
    stats = httpx.get(proxy.url + "/_stats").json()
    assert stats["by_path"]["/v1/chat/completions"] == sum(p["attempts"] for p in pages)
    assert any(p["attempts"] == 3 for p in pages)  # the retry path really ran
    assert 2 <= stats["max_in_flight"] <= 3  # never over --concurrency, and actually used


def test_kill_9_then_rerun_redoes_only_unfinished_pages(
    pdf20: Path, qwen_server: ManagedServer, tmp_path: Path
) -> None:
    args: list[str | Path] = [
        pdf20,
        "--engine",
        "openai",
        "--url",
        qwen_server.url,
        "--concurrency",
        "1",
        "--max-tokens",
        "4",
        "--format",
        "json",
        "-o",
        tmp_path / "out.json",
    ]
    environ = env(tmp_path, OCRKIT_API_KEY=QWEN_KEY, OCRKIT_QUALITY_RETRIES="0")
    first = Background(args, environ)
    first.wait_for_pages(5)
    first.proc.send_signal(signal.SIGKILL)
    first.finish()
    assert not (tmp_path / "out.json").exists()  # no half-written output
    saved = len(list((tmp_path / "cache").glob("*/page-*.json")))
    assert 5 <= saved < PAGES
    second = ocrkit(*args, environ=environ)
    assert second.returncode == 0, second.stderr
    assert f"{saved} resumed, {PAGES - saved} read" in second.stderr
    assert [p["page"] for p in pages_of(tmp_path / "out.json")] == list(range(1, PAGES + 1))


def test_through_the_adapter_v1(pdf20: Path, qwen_adapter: ManagedServer, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = ocrkit(
        pdf20,
        "--engine",
        "openai",
        "--url",
        qwen_adapter.url,
        "--pages",
        "1-4",
        "--max-tokens",
        "4",
        "--format",
        "json",
        "-o",
        out,
        environ=env(tmp_path, OCRKIT_API_KEY=ADAPTER_KEY),
    )
    assert proc.returncode == 0, proc.stderr
    assert [(p["page"], p["source"], p["model"]) for p in pages_of(out)] == [
        (n, "ocr", QWEN_NAME) for n in range(1, 5)
    ]


def test_through_the_adapter_legacy_ocr(
    pdf20: Path, qwen_adapter: ManagedServer, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    proc = ocrkit(
        pdf20,
        "--engine",
        "legacy",
        "--url",
        qwen_adapter.url,
        "--pages",
        "2,5",
        "--max-tokens",
        "4",
        "--format",
        "json",
        "-o",
        out,
        environ=env(tmp_path, OCRKIT_API_KEY=ADAPTER_KEY),
    )
    assert proc.returncode == 0, proc.stderr
    pages = pages_of(out)
    assert [(p["page"], p["source"], p["engine"]) for p in pages] == [
        (2, "ocr", "legacy"),
        (5, "ocr", "legacy"),
    ]
    assert all(p["completion_tokens"] <= 4 for p in pages)


def test_old_service_names_still_work(
    pdf20: Path, qwen_adapter: ManagedServer, tmp_path: Path
) -> None:
    proc = ocrkit(
        pdf20,
        "--ocr-service",
        "qwen_remote",
        "--pages",
        "1",
        "--max-tokens",
        "4",
        "-o",
        "-",
        environ=env(tmp_path, QWEN_REMOTE_URL=qwen_adapter.url, OCRKIT_API_KEY=ADAPTER_KEY),
    )
    assert proc.returncode == 0, proc.stderr
    assert "engine openai" in proc.stderr and "<!-- page 1 -->" in proc.stdout


def test_auto_picks_the_server_when_it_answers(
    pdf20: Path, qwen_adapter: ManagedServer, tmp_path: Path
) -> None:
    proc = ocrkit(
        pdf20,
        "--pages",
        "1",
        "--max-tokens",
        "4",
        "-o",
        "-",
        environ=env(tmp_path, OCRKIT_URL=qwen_adapter.url, OCRKIT_API_KEY=ADAPTER_KEY),
    )
    assert proc.returncode == 0, proc.stderr
    assert "engine openai (server at" in proc.stderr


def test_in_process_vllm_engine(pdf20: Path, tiny_qwen: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = ocrkit(
        pdf20,
        "--engine",
        "vllm",
        "--pages",
        "1-3",
        "--max-tokens",
        "4",
        "--format",
        "json",
        "-o",
        out,
        exe=vllm_venv_bin("ocrkit"),
        environ=env(
            tmp_path,
            **VLLM_CPU_ENV,
            QWEN_MODEL=str(tiny_qwen),
            SERVED_MODEL_NAME="tiny-in-process",
            # The variables `serving run` reads (VLLM_CPU_ENV's SERVING_EXTRA_ARGS too),
            # parsed by vLLM's own argument parser.
            MAX_NUM_SEQS="8",
        ),
        timeout=900,  # start-up included: a run that cannot exit fails here, not hangs
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    pages = pages_of(out)
    assert [(p["page"], p["source"], p["engine"], p["model"]) for p in pages] == [
        (n, "ocr", "vllm", "tiny-in-process") for n in (1, 2, 3)
    ]
    assert all(p["completion_tokens"] <= 4 and p["prompt_tokens"] > 400 for p in pages)


def test_a_page_the_model_cannot_read_falls_back_to_the_text_layer(
    qwen_server: ManagedServer, tmp_path: Path
) -> None:
    # vLLM refuses max_tokens beyond the context (400, not retried): every page fails.
    args = [
        "--route",
        "ocr",
        "--engine",
        "openai",
        "--url",
        qwen_server.url,
        "--max-tokens",
        "1000000",
        "--format",
        "json",
    ]
    environ = env(tmp_path, OCRKIT_API_KEY=QWEN_KEY)
    proc = ocrkit(SAMPLE, *args, "-o", tmp_path / "pdf.json", environ=environ)
    assert proc.returncode == 0, proc.stderr  # every page has text: the PDF's own
    for page in pages_of(tmp_path / "pdf.json"):
        assert page["source"] == "text-layer"
        assert "ПРОСПЕКТ" in page["text"] or "Досрочное" in page["text"]
        assert "400" in page["error"]
    # An image has no text layer: the page is reported failed, the exit status says so.
    image = tmp_path / "page.png"
    image.write_bytes(page_png())
    proc = ocrkit(image, *args, "-o", tmp_path / "img.json", environ=environ)
    assert proc.returncode == 1
    assert "FAILED" in proc.stderr and "pages 1" in proc.stderr
    (page,) = pages_of(tmp_path / "img.json")
    assert page["source"] == "failed" and page["text"] == ""
