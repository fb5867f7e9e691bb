"""The runner with a fake engine: page order, failures, the text-layer fallback, stats,
quality retries, and bounded open files. No model, no server: milliseconds per test."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from harness.fakes import FakeEngine, fail, make_pdf, run_collected
from harness.images import page_png
from ocrkit.api import prepare
from ocrkit.engines.base import Reply
from ocrkit.errors import PageFailed
from ocrkit.model.images import PageImage
from ocrkit.model.quality import RETRY_TEMPERATURES
from ocrkit.outputs.results import PageResult
from ocrkit.pdf.sources import Source, in_pdf_thread
from ocrkit.resume import ResumeStore
from ocrkit.runner import run

# A guard against a test that would hang, never a measure of speed.
CAP_S = 60


def no_store(tmp_path: Path) -> ResumeStore:
    return ResumeStore(tmp_path / "cache", "k", enabled=False)


def test_pages_come_back_in_order_across_documents(tmp_path: Path) -> None:
    a = make_pdf(tmp_path / "a.pdf", ["a1", "a2", "a3"])
    b = make_pdf(tmp_path / "b.pdf", ["b1", "b2"])
    image = tmp_path / "c.png"
    image.write_bytes(page_png())
    jobs = prepare([a, b, image])

    # Early pages take longest, so they finish last.
    delays = iter([0.05, 0.04, 0.03, 0.02, 0.01, 0.0])

    class Slow(FakeEngine):
        async def read(self, page: PageImage, *, temperature: float) -> Reply:
            await asyncio.sleep(next(delays))
            return await super().read(page, temperature=temperature)

    engine = Slow(concurrency=6)
    docs, stats = run_collected(jobs, engine, no_store(tmp_path), quality_retries=0, route="ocr")
    assert [d.path.name for d in docs] == ["a.pdf", "b.pdf", "c.png"]
    assert [[p.page for p in d.pages] for d in docs] == [[1, 2, 3], [1, 2], [1]]
    assert [d.page_count for d in docs] == [3, 2, 1]
    assert stats.done == 6 and stats.failed == 0 and stats.resumed == 0
    assert all(p.source == "ocr" and p.engine == "fake" for d in docs for p in d.pages)


def test_a_failed_page_falls_back_to_its_text_layer_or_is_reported(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["Облигации серии 001", ""])
    image = tmp_path / "scan.png"
    image.write_bytes(page_png())
    engine = FakeEngine(fail("server answered 400: max_tokens too large"))
    docs, stats = run_collected(
        prepare([pdf, image]), engine, no_store(tmp_path), quality_retries=2, route="ocr"
    )
    with_text, blank = docs[0].pages
    assert with_text.source == "text-layer" and with_text.text == "Облигации серии 001"
    assert with_text.error == "server answered 400: max_tokens too large"
    assert blank.source == "failed" and blank.text == ""
    (scan,) = docs[1].pages
    assert scan.source == "failed" and scan.error == "server answered 400: max_tokens too large"
    assert stats.done == 3 and stats.failed == 2 and stats.text_layer == 1
    assert docs[0].failed_pages == [2] and docs[1].failed_pages == [1]
    assert all(p.attempts == 1 for d in docs for p in d.pages)


def test_stats_add_up_tokens(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["x"] * 4)
    engine = FakeEngine(
        lambda n, page, t: Reply("ok", "stop", prompt_tokens=100, completion_tokens=n)
    )
    docs, stats = run_collected(
        prepare([pdf]), engine, no_store(tmp_path), quality_retries=0, route="ocr"
    )
    assert stats.prompt_tokens == 400 and stats.completion_tokens == 1 + 2 + 3 + 4
    assert sorted(p.completion_tokens or 0 for p in docs[0].pages) == [1, 2, 3, 4]


@pytest.mark.parametrize("samples", [True, False])
def test_quality_retries_only_where_sampling_can_change_the_reply(
    tmp_path: Path, samples: bool
) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["x"])
    engine = FakeEngine(lambda n, page, t: Reply("cut", "length"), samples=samples)
    docs, _ = run_collected(
        prepare([pdf]), engine, no_store(tmp_path), quality_retries=3, route="ocr"
    )
    temperatures = [t for _, t in engine.calls]
    if samples:
        assert temperatures == [0.0, *RETRY_TEMPERATURES[:3]]
    else:
        # Tesseract and the greedy legacy API would send the identical request again.
        assert temperatures == [0.0]
    page = docs[0].pages[0]
    assert page.attempts == len(temperatures) and page.finish_reason == "length"


def test_a_good_reply_stops_the_retries(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["x"])
    replies = [Reply("om " * 100, "stop"), Reply("Облигации", "stop")]
    engine = FakeEngine(lambda n, page, t: replies[n - 1])
    docs, _ = run_collected(
        prepare([pdf]), engine, no_store(tmp_path), quality_retries=2, route="ocr"
    )
    assert [t for _, t in engine.calls] == [0.0, 0.2]  # the loop was retried once
    assert docs[0].pages[0].text == "Облигации" and docs[0].pages[0].attempts == 2


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_two_thousand_pdfs_keep_open_files_bounded_and_all_closed(tmp_path: Path) -> None:
    template = make_pdf(tmp_path / "template.pdf", ["Страница"]).read_bytes()
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(2000):
        (folder / f"doc{i:04d}.pdf").write_bytes(template)
    concurrency = 8
    before = _open_fds()
    peak = 0

    def reply(n: int, page: PageImage, t: float) -> Reply:
        nonlocal peak
        peak = max(peak, _open_fds())
        return Reply("ok", "stop")

    jobs = prepare([folder])
    assert _open_fds() == before  # checking every input left nothing open
    engine = FakeEngine(reply, concurrency=concurrency)
    docs, stats = run_collected(jobs, engine, no_store(tmp_path), quality_retries=0, route="ocr")
    assert len(docs) == 2000 and stats.done == 2000 and stats.failed == 0
    # One file per document being read, plus the event loop's and threads' own.
    assert peak - before <= concurrency + 8, f"{peak - before} files open at the peak"
    assert _open_fds() == before  # every document closed


def test_a_document_that_vanishes_mid_run_fails_its_pages_not_the_run(tmp_path: Path) -> None:
    a = make_pdf(tmp_path / "a.pdf", ["a"])
    b = make_pdf(tmp_path / "b.pdf", ["b"])
    jobs = prepare([a, b])
    b.unlink()
    docs, stats = run_collected(
        jobs, FakeEngine(), no_store(tmp_path), quality_retries=0, route="ocr"
    )
    assert docs[0].pages[0].source == "ocr"
    assert docs[1].pages[0].source == "failed" and "b.pdf" in (docs[1].pages[0].error or "")
    assert stats.failed == 1


def test_page_failed_is_an_ocr_error() -> None:
    from ocrkit import OcrError

    assert issubclass(PageFailed, OcrError)


class _Recorder:
    """A sink that notes each page it gets, and how many pages the engine had been asked
    for by then."""

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.added: list[tuple[str, int, int]] = []
        self.finished_docs: list[str] = []
        self.done = lambda source: self.finished_docs.append(source.path.name)

    def add(self, source: Source, page: PageResult) -> None:
        self.added.append((source.path.name, page.page, len(self.engine.calls)))


def test_pages_reach_the_sink_in_order_while_the_run_goes_on(tmp_path: Path) -> None:
    a = make_pdf(tmp_path / "a.pdf", [f"a{i}" for i in range(12)])
    b = make_pdf(tmp_path / "b.pdf", [f"b{i}" for i in range(8)])
    # Pages finish out of order: each page yields to the others a different number of times.
    turns = iter([3, 0, 2, 0, 1] * 4)
    first_handed_on = threading.Event()

    class Uneven(FakeEngine):
        async def read(self, page: PageImage, *, temperature: float) -> Reply:
            reply = await super().read(page, temperature=temperature)
            for _ in range(next(turns)):
                await asyncio.sleep(0)
            if len(self.calls) == 20:
                # The last page is read only once the first has been written out: a runner
                # that held pages back until the end would never get here (CAP_S says so).
                handed = await asyncio.to_thread(first_handed_on.wait, CAP_S)
                assert handed, "the first page was not handed on while the run went on"
            return reply

    engine = Uneven(concurrency=4)
    sink = _Recorder(engine)
    add = sink.add

    def add_and_tell(source: Source, page: PageResult) -> None:
        add(source, page)
        first_handed_on.set()

    sink.add = add_and_tell  # type: ignore[method-assign]
    stats = asyncio.run(
        run(prepare([a, b]), engine, no_store(tmp_path), sink, quality_retries=0, route="ocr")
    )
    assert stats.done == 20 and stats.failed == 0
    assert [(name, n) for name, n, _ in sink.added] == [
        *(("a.pdf", n) for n in range(1, 13)),
        *(("b.pdf", n) for n in range(1, 9)),
    ]
    assert sink.finished_docs == ["a.pdf", "b.pdf"]


def test_a_slow_page_holds_the_others_at_most_a_window_ahead(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", [str(i) for i in range(30)])
    started_while_first_ran: list[int] = []
    others_started = asyncio.Event()

    class FirstIsSlow(FakeEngine):
        first_done = False

        async def read(self, page: PageImage, *, temperature: float) -> Reply:
            reply = await super().read(page, temperature=temperature)
            n = len(self.calls)
            if n > 1 and not self.first_done:
                started_while_first_ran.append(n)
                if n == 5:
                    others_started.set()
            if n == 1:
                # Page 1 lasts until pages 2-5 (its window) have started; then every page
                # that could start has had its chance (the loop and the PDF thread idle).
                await asyncio.wait_for(others_started.wait(), CAP_S)
                for _ in range(20):
                    await in_pdf_thread(lambda: None)
                    await asyncio.sleep(0)
                self.first_done = True
            return reply

    engine = FirstIsSlow(concurrency=4)
    sink = _Recorder(engine)
    asyncio.run(
        run(
            prepare([pdf]),
            engine,
            no_store(tmp_path),
            sink,
            quality_retries=0,
            route="ocr",
            window=5,
        )
    )
    # Pages 2-5 ran while page 1 was slow; page 6 waited for it.
    assert started_while_first_ran == [2, 3, 4, 5]
    assert [n for _, n, _ in sink.added] == list(range(1, 31))


def test_resumed_pages_are_read_back_at_their_turn_not_all_at_once(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", [str(i) for i in range(6)])
    jobs = prepare([pdf])
    store = ResumeStore(tmp_path / "cache", "k")
    run_collected(jobs, FakeEngine(), store, quality_retries=0, route="ocr")
    loaded: list[int] = []
    load_page = store.load_page

    def spy(sha256: str, number: int) -> PageResult | None:
        loaded.append(number)
        return load_page(sha256, number)

    store.load_page = spy  # type: ignore[method-assign]
    engine = FakeEngine()
    docs, stats = run_collected(prepare([pdf]), engine, store, quality_retries=0, route="ocr")
    assert stats.resumed == 6 and engine.calls == []
    assert sorted(loaded) == [1, 2, 3, 4, 5, 6]
    assert [p.text for p in docs[0].pages] == [f"page {n}" for n in range(1, 7)]
