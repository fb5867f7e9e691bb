"""Text-layer pages read ahead by worker processes (`ocrkit.layer_workers`): a run with
workers writes what a run without them writes, page for page; a worker that dies leaves
its pages to the run; no worker outlives its run, nor a run killed outright.

Real documents (bench/documents: a prospectus with its ruled tables, a law with its
running heads), real worker processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import OCRKIT
from harness.fakes import FakeEngine
from ocrkit import layer_workers
from ocrkit.api import make_options, prepare, read_documents
from ocrkit.outputs.results import Document

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = REPO / "bench" / "documents" / "pdfs"
PROSPECTUS = DOCUMENTS / "ru_spbe_alfa0430_prospectus.pdf"  # 9 pages, ruled tables
LAW = DOCUMENTS / "ru_ktrk_zakon.pdf"  # 12 pages, a running head and page numbers
# Generous bounds that turn a hang into a failure; never a measure of speed.
CAP_S = 120


def read(paths: list[Path], cache: Path, **options: object) -> list[Document]:
    opts = make_options(engine="tesseract", cache_dir=cache, resume=False, **options)
    docs, _ = asyncio.run(read_documents(prepare(paths), FakeEngine(), opts))
    return docs


def pages_of(docs: list[Document]) -> list[tuple[str, int, str, str]]:
    """Each page as a user gets it: its text, its blocks and why it took its route."""
    return [
        (
            d.path.name,
            p.page,
            p.text,
            "".join(b.model_dump_json() for b in p.blocks or [])
            + (p.gate.model_dump_json() if p.gate else ""),
        )
        for d in docs
        for p in d.pages
    ]


def _workers_of(pid: int) -> list[int]:
    """The text-layer workers running under process `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"ocrkit.layer_workers" in cmdline:
            found.append(int(entry.name))
    return found


def test_workers_write_what_one_process_writes_page_for_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = read([PROSPECTUS, LAW], tmp_path / "a", text_workers=0)
    assert all(p.source == "text-layer" for d in alone for p in d.pages)
    # The prospectus's table goes on from page 1 to 2 and from 2 to 3.
    assert [
        p.page
        for p in alone[0].pages
        if any("continues_from_page" in b.metadata for b in p.blocks or [])
    ] == [2, 3]
    # Chunks of two and three pages: a page's table goes on from one another reader read,
    # the law's running heads are compared across chunk boundaries.
    for size, workers in ((2, 1), (3, 2)):
        monkeypatch.setattr(layer_workers, "CHUNK_PAGES", (size, size))
        shared = read([PROSPECTUS, LAW], tmp_path / f"w{workers}", text_workers=workers)
        assert pages_of(shared) == pages_of(alone), (size, workers)
    assert _workers_of(os.getpid()) == []


def test_the_furniture_of_a_page_at_a_chunk_start_is_found_as_in_one_process(
    tmp_path: Path,
) -> None:
    # Page 5 opens the law's second chunk: its running head and number are compared with
    # pages 3 and 4, which the other reader read.
    (doc,) = read([LAW], tmp_path / "w", text_workers=1)
    page = doc.pages[4]
    furniture = [b for b in page.blocks or [] if b.type in ("header", "footer", "page_number")]
    assert furniture, page.blocks
    assert all(b.content not in page.text for b in furniture if len(b.content) > 12)


def test_a_worker_that_dies_leaves_its_pages_to_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = read([PROSPECTUS, LAW], tmp_path / "a", text_workers=0)
    # Workers that exit before answering: PDFium crashing on a page, an OOM kill.
    monkeypatch.setattr(layer_workers, "worker_argv", lambda: [sys.executable, "-c", "pass"])
    died = read([PROSPECTUS, LAW], tmp_path / "d", text_workers=2)
    assert pages_of(died) == pages_of(alone)


def test_a_worker_that_cannot_start_leaves_its_pages_to_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = read([LAW], tmp_path / "a", text_workers=0)
    monkeypatch.setattr(layer_workers, "worker_argv", lambda: [str(tmp_path / "no-such-python")])
    assert pages_of(read([LAW], tmp_path / "n", text_workers=1)) == pages_of(alone)


def test_a_run_with_few_pages_starts_no_worker() -> None:
    assert layer_workers.worker_count(layer_workers.MIN_PAGES - 1) is None
    assert layer_workers.worker_count(5, wanted=0) is None
    assert layer_workers.worker_count(5, wanted=3) == 3
    expected = layer_workers.cores() - 1 if layer_workers.cores() > 1 else None
    assert layer_workers.worker_count(layer_workers.MIN_PAGES) == (expected or None)


def test_no_worker_outlives_a_run_killed_outright(tmp_path: Path) -> None:
    """`kill -9` of the run: its workers see their stdin close and exit; nothing is left
    running, and the next run resumes (the resume tests cover what it redoes)."""
    env = {
        "PATH": os.environ["PATH"],
        "OCRKIT_CACHE_DIR": str(tmp_path / "cache"),
        "OCRKIT_TEXT_WORKERS": "1",
    }
    big = [DOCUMENTS / "de_roedermark_gesamtabschluss2022.pdf", PROSPECTUS, LAW]
    proc = subprocess.Popen(
        [str(OCRKIT), *map(str, big), "--route", "text", "-o", "-"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + CAP_S
        while not (workers := _workers_of(proc.pid)) and proc.poll() is None:
            assert time.monotonic() < deadline, "no worker started"
            time.sleep(0.01)
        if not workers:
            pytest.fail(f"the run ended (rc {proc.returncode}) before a worker was seen")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(CAP_S)
        deadline = time.monotonic() + CAP_S
        while any(Path(f"/proc/{w}").exists() and _alive(w) for w in workers):
            assert time.monotonic() < deadline, f"workers {workers} outlived the run"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its (re-parented) reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
