"""The resume store: whole pages or nothing, bad entries redone, settings changes redo."""

from __future__ import annotations

import json
from pathlib import Path

from harness.fakes import FakeEngine, make_pdf, run_collected
from ocrkit.api import prepare
from ocrkit.outputs.results import PageResult
from ocrkit.resume import ResumeStore, settings_key

SHA = "ab" * 32


def page(n: int, text: str = "текст", source: str = "ocr") -> PageResult:
    return PageResult(page=n, text=text, source=source, engine="fake")  # type: ignore[arg-type]


def test_saved_pages_load_back(tmp_path: Path) -> None:
    store = ResumeStore(tmp_path, "k1")
    store.save(SHA, page(1))
    store.save(SHA, page(2, "second"))
    assert store.load(SHA) == {1: page(1), 2: page(2, "second")}
    # One file per page, no temporary file left behind.
    assert sorted(p.name for p in store.folder(SHA).iterdir()) == [
        "page-000001.json",
        "page-000002.json",
    ]


def test_fallbacks_and_failures_are_not_kept(tmp_path: Path) -> None:
    store = ResumeStore(tmp_path, "k1")
    fallback = page(1, source="text-layer").model_copy(update={"error": "server answered 503"})
    store.save(SHA, fallback)
    store.save(SHA, page(2, "", source="failed"))
    assert store.load(SHA) == {}
    # A page its route read from the text layer is finished, and kept.
    store.save(SHA, page(3, source="text-layer"))
    assert store.load(SHA) == {3: page(3, source="text-layer")}


def test_corrupt_partial_or_misplaced_entries_are_redone_not_crashed_on(tmp_path: Path) -> None:
    store = ResumeStore(tmp_path, "k1")
    store.save(SHA, page(1))
    folder = store.folder(SHA)
    good = (folder / "page-000001.json").read_text()
    (folder / "page-000002.json").write_text(good[: len(good) // 2])  # cut mid-write
    (folder / "page-000003.json").write_bytes(b"\xff\xfe garbage")
    (folder / "page-000004.json").write_text(json.dumps({"page": 4}))  # an older format
    (folder / "page-000005.json").write_text(good)  # says page 1: not page 5's text
    (folder / ".page-000006.json.x.tmp").write_text(good.replace('"page":1', '"page":6'))
    assert set(store.load(SHA)) == {1}


def test_a_settings_change_starts_afresh(tmp_path: Path) -> None:
    a = settings_key({"engine": "openai", "model": "m", "max_tokens": None})
    b = settings_key({"engine": "openai", "model": "m", "max_tokens": 512})
    assert a != b and a == settings_key({"max_tokens": None, "model": "m", "engine": "openai"})
    ResumeStore(tmp_path, a).save(SHA, page(1))
    assert ResumeStore(tmp_path, b).load(SHA) == {}
    assert set(ResumeStore(tmp_path, a).load(SHA)) == {1}


def test_disabled_store_redoes_pages_but_keeps_the_new_ones(tmp_path: Path) -> None:
    ResumeStore(tmp_path, "k").save(SHA, page(1, "old"))
    off = ResumeStore(tmp_path, "k", enabled=False)
    assert off.load(SHA) == {}
    off.save(SHA, page(1, "new"))
    assert ResumeStore(tmp_path, "k").load(SHA)[1].text == "new"


def test_an_unwritable_cache_costs_resuming_not_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    pdf = make_pdf(tmp_path / "a.pdf", ["x", "y"])
    docs, stats = run_collected(
        prepare([pdf]), FakeEngine(), ResumeStore(blocker, "k"), quality_retries=0, route="ocr"
    )
    assert stats.done == 2 and [p.source for p in docs[0].pages] == ["ocr", "ocr"]


def test_a_rerun_reads_only_the_pages_not_saved(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["1", "2", "3", "4"])
    jobs = prepare([pdf])
    store = ResumeStore(tmp_path / "cache", "k")
    # As if a first run was killed after pages 1 and 3.
    store.save(jobs[0].source.sha256, page(1, "from the first run"))
    store.save(jobs[0].source.sha256, page(3, "from the first run"))
    engine = FakeEngine()
    docs, stats = run_collected(jobs, engine, store, quality_retries=0, route="ocr")
    assert stats.resumed == 2 and stats.done == 2 and len(engine.calls) == 2
    texts = [p.text for p in docs[0].pages]
    assert texts[0] == texts[2] == "from the first run"
    assert sorted(texts[1::2]) == ["page 1", "page 2"]  # read now, in either order
    assert set(store.load(jobs[0].source.sha256)) == {1, 2, 3, 4}
