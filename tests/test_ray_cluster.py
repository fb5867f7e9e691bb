"""`ocrkit --ray` on a real Ray cluster: a head and two worker nodes, each a `ray start` of its
own on 127.0.0.1 (harness/ray_cluster.py). Tesseract reads pages on the workers; so do the
session's vLLM and its adapter, as the GPU deployment's shape. A worker node killed with
SIGKILL mid-run, a driver killed mid-run, and a corrupt PDF among good ones: every page is
in the outputs once, and a job started again resumes what any node finished."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli import Background, env, ocrkit, pages_of
from harness.names import QWEN_KEY
from harness.ray_cluster import RayCluster
from harness.servers import ManagedServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    ray = RayCluster(tmp_path_factory.mktemp("ray-cluster"), workers=2, cpus_per_worker=2)
    ray.start()
    yield ray
    ray.stop()


def summary(lines: list[str] | str) -> tuple[int, int]:
    """(resumed, read) from the run's summary line."""
    text = "".join(lines)
    found = re.search(r"\((\d+) resumed, (\d+) read", text)
    assert found, text
    return int(found[1]), int(found[2])


def test_a_killed_worker_node_loses_no_page(
    cluster: RayCluster, pdf20: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    environ = env(tmp_path)
    args: list[str | Path] = [pdf20, "--ray", cluster.address, "--engine", "tesseract"]
    args += ["--pages", "1-8", "--format", "json", "-o", out]
    run = Background(args, environ)
    try:
        # The first node found reading a page is killed then, as a machine dies: its pages
        # must go to the other node.
        deadline = time.monotonic() + 600
        while not (busy := [n for n in cluster.nodes if n.alive and n.reading("read_page")]):
            assert run.proc.poll() is None, "".join(run.lines)
            assert time.monotonic() < deadline, "no node read a page"
            time.sleep(0.1)
        victim = busy[0]
        done_before = run.pages_done()
        victim.kill()
        assert run.finish() == 0, "".join(run.lines)
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    assert done_before < 8
    pages = pages_of(out)
    assert [p["page"] for p in pages] == list(range(1, 9))  # each once, in order
    assert all(p["source"] == "ocr" and p["engine"] == "tesseract" for p in pages)
    assert run.pages_done() == 8  # the progress counted each page once
    # The sample's two pages alternate: a page read twice (once on the dead node) or by
    # another path would differ from its twin.
    for page in pages[2:]:
        assert page["text"] == pages[page["page"] - 3]["text"]
    assert re.search(r"[а-яА-Я]{4}", pages[0]["text"])

    # A page read on the cluster is the page a local run reads.
    local = tmp_path / "local.json"
    proc = ocrkit(
        pdf20, "--engine", "tesseract", "--pages", "1", "--format", "json", "-o", local,
        environ=env(tmp_path / "local"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert pages_of(local)[0]["text"] == pages[0]["text"]

    # The cluster goes on with a node fewer; a node that joins takes pages again.
    cluster.add_worker(len(cluster.nodes))


def test_a_job_started_again_resumes_what_any_node_finished(
    cluster: RayCluster, pdf20: Path, qwen_server: ManagedServer, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    # Greedy, one attempt a page: four tokens each, whichever node reads it.
    environ = env(tmp_path, OCRKIT_API_KEY=QWEN_KEY, OCRKIT_QUALITY_RETRIES="0")
    args: list[str | Path] = [pdf20, "--ray", cluster.address, "--engine", "openai"]
    args += ["--url", qwen_server.url, "--max-tokens", "4", "--format", "json", "-o", out]
    first = Background(args, environ)
    first.wait_for_pages(5)
    first.proc.send_signal(signal.SIGKILL)  # the driver dies; the workers' pages are saved
    first.finish()
    assert not out.exists()

    again = Background(args, environ)
    assert again.finish() == 0, "".join(again.lines)
    resumed, read = summary(again.lines)
    assert resumed >= 5 and resumed + read == 20
    pages = pages_of(out)
    assert [p["page"] for p in pages] == list(range(1, 21))
    assert all(p["source"] == "ocr" and p["completion_tokens"] == 4 for p in pages)


def test_pages_go_through_the_adapter_from_the_workers(
    cluster: RayCluster, pdf20: Path, qwen_adapter: ManagedServer, tmp_path: Path
) -> None:
    from harness.names import ADAPTER_KEY

    out = tmp_path / "out.json"
    proc = ocrkit(
        pdf20, "--ray", cluster.address, "--engine", "openai", "--url", qwen_adapter.url,
        "--pages", "1-6", "--max-tokens", "4", "--format", "json", "-o", out,
        environ=env(tmp_path, OCRKIT_API_KEY=ADAPTER_KEY, OCRKIT_QUALITY_RETRIES="0"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    pages = pages_of(out)
    assert [p["page"] for p in pages] == list(range(1, 7))
    assert all(p["source"] == "ocr" and p["completion_tokens"] == 4 for p in pages)
    assert "read on the Ray cluster at " + cluster.address in proc.stderr


def test_a_corrupt_pdf_fails_alone_with_the_local_runs_error(
    cluster: RayCluster, tmp_path: Path
) -> None:
    from harness.cli import SAMPLE

    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    local = ocrkit(bad, "--route", "text", environ=env(tmp_path / "local"))
    assert local.returncode == 2
    message = local.stderr.strip().removeprefix("ocrkit: error: ")

    proc = ocrkit(
        bad, SAMPLE, "--ray", cluster.address, "--route", "text", "--format", "json",
        "-o", f"{tmp_path / 'out'}/", environ=env(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert f"ocrkit: error: {message} (not read; the others are)" in proc.stderr
    assert f"FAILED {bad}: every page: {message}" in proc.stderr
    good = json.loads((tmp_path / "out" / f"{SAMPLE.stem}_OCR.json").read_text())
    assert [p["page"] for p in good["pages"]] == [1, 2]
    assert all(p["source"] == "text-layer" and p["text"].strip() for p in good["pages"])
    assert not list((tmp_path / "out").glob("broken*"))


def test_the_library_reads_on_the_cluster_as_it_reads_here(
    cluster: RayCluster, tmp_path: Path
) -> None:
    """`ocrkit.ocr(..., ray_address=...)`: the same document as without it."""
    from harness.cli import SAMPLE

    script = (
        "import json, sys, ocrkit\n"
        "kw = dict(route='text', cache_dir=sys.argv[2])\n"
        "if sys.argv[3]: kw['ray_address'] = sys.argv[3]\n"
        "doc = ocrkit.ocr(sys.argv[1], **kw)\n"
        "print(json.dumps([[p.page, p.source, p.text] for p in doc.pages]))\n"
    )

    def read(address: str) -> list:
        proc = subprocess.run(
            [sys.executable, "-c", script, str(SAMPLE), str(tmp_path / address[:9]), address],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    here, there = read(""), read(cluster.address)
    assert [p[:2] for p in there] == [[1, "text-layer"], [2, "text-layer"]]
    assert there == here
