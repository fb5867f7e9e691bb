from __future__ import annotations

from pathlib import Path

import pytest

from ocrkit.model.quality import is_looping, needs_retry
from ocrkit.pdf.inputs import InputError, collect, parse_pages


def test_collect_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "a.PNG").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    found = collect([tmp_path, tmp_path / "b.pdf"])
    assert [(i.path.name, i.kind) for i in found] == [("a.PNG", "image"), ("b.pdf", "pdf")]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.pdf", "no such file"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "has no PDFs or page images"),
        (lambda d: (d / "x.docx").write_text("x") and d / "x.docx", "not a PDF or page image"),
    ],
)
def test_collect_errors(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message):
        collect([make(tmp_path)])


def test_parse_pages() -> None:
    assert parse_pages(None, 3) == [1, 2, 3]
    assert parse_pages("1-3,7", 10) == [1, 2, 3, 7]
    assert parse_pages("2, 2-3", 5) == [2, 3]
    for bad, msg in [
        ("0", "not a valid"),
        ("3-1", "not a valid"),
        ("x", "not a page"),
        ("9", "out of range"),
        ("2-12", "out of range"),
    ]:
        with pytest.raises(InputError, match=msg):
            parse_pages(bad, 8)


def test_loop_detection() -> None:
    assert is_looping("Итоги: " + "om" * 40)
    assert is_looping("| 1 | 2 |\n" * 12)
    assert not is_looping("om" * 10)  # too short to judge
    assert not is_looping("-" * 300)  # a rule, not a loop
    assert not is_looping("Облигации серии БО-01 размещаются по открытой подписке. " * 2)
    assert needs_retry("ok", "length") == "truncated"
    assert needs_retry("ok", "stop") is None
