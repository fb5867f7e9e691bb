"""`ocrkit` on the embedded default (Tesseract), and every bad input, run as a user runs it."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from rapidfuzz.distance import Levenshtein

from harness.cli import SAMPLE
from harness.servers import REPO, free_port

OCRKIT = Path(sys.executable).parent / "ocrkit"
SCAN = SAMPLE.with_name("prospectus_ru_scan.pdf")


def run(*args: str | Path, cache: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OCRKIT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={
            "PATH": "/usr/bin:/bin",
            "OCRKIT_CACHE_DIR": str(cache),
            "OCRKIT_URL": f"http://127.0.0.1:{free_port()}",
        },  # nothing listens: no server
    )


def normalise(text: str) -> str:
    return " ".join(text.split())


def reference(page: int, *, page_number: bool = True) -> str:
    """The sample page's text; `page_number=False`: as the text layer reads it, its page
    number ("Страница 1") left out as page furniture."""
    lines = (REPO / "samples" / "prospectus_ru.txt").read_text(encoding="utf-8").splitlines()
    split = lines.index("3. Досрочное погашение")
    body = lines[:split] if page == 1 else lines[split:]
    return normalise(" ".join(body) + (f" Страница {page}" if page_number else ""))


def cer(got: str, want: str) -> float:
    return Levenshtein.distance(normalise(got), want) / len(want)


def test_sample_pdf_is_read_with_low_character_error_rate(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = run(SAMPLE, "-o", out, "--format", "json", "--route", "ocr", cache=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "engine tesseract" in proc.stderr and "no server" in proc.stderr
    doc = json.loads(out.read_text())
    assert doc["page_count"] == 2
    for page in doc["pages"]:
        assert page["source"] == "ocr" and page["engine"] == "tesseract"
        assert page["model"].startswith("tesseract 5")
        assert cer(page["text"], reference(page["page"])) <= 0.05


def readme_main_job() -> list[str]:
    """The `ocrkit` part of the README's first command, as written there."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if x.startswith("bash scripts/setup.sh && "))
    command = shlex.split(line.split("&&", 1)[1])
    assert command[0] == ".venv/bin/ocrkit"
    return command[1:]


def test_the_readme_main_job_reads_the_text_layer_and_ocrs_the_scan(tmp_path: Path) -> None:
    args = readme_main_job()
    proc = subprocess.run(
        [str(OCRKIT), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "OCRKIT_CACHE_DIR": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    born, scan = proc.stdout.split("<!-- page 1 -->")  # the scan's first page: OCR'd
    assert "<!-- page 1 (PDF text layer) -->" in born and "<!-- page 2 (PDF text layer) -->" in born
    pages = born.split("<!-- page 2 (PDF text layer) -->")
    # Exact: the text layer, its page number out of the text, its bold headings as
    # Markdown headings.
    assert "\n## ПРОСПЕКТ ЦЕННЫХ БУМАГ\n" in pages[0]
    assert "\n## 3. Досрочное погашение\n" in pages[1]
    unheaded = [re.sub(r"(?m)^## ", "", p) for p in pages]
    assert normalise(unheaded[0].split("-->", 1)[1]) == reference(1, page_number=False)
    assert normalise(unheaded[1]) == reference(2, page_number=False)
    first, second = scan.split("<!-- page 2 -->")
    assert cer(first, reference(1)) <= 0.05 and cer(second, reference(2)) <= 0.05
    assert "2 from the PDF text layer, 2 OCR'd, 0 failed" in proc.stderr
    assert "engine tesseract" in proc.stderr


def test_unprefixed_variables_never_reach_an_option(tmp_path: Path) -> None:
    """A desktop's LANGUAGE=en_US:en (Debian, Ubuntu) made every run exit 2, and MAX_TOKENS=7
    capped every page: each option is read only as OCRKIT_<OPTION> or a documented alias."""
    from ocrkit.options import OcrOptions

    stray = {name.upper(): "bogus-0" for name in OcrOptions.model_fields}
    stray |= {"LANGUAGE": "en_US:en", "MAX_TOKENS": "7", "TIMEOUT": "0.001", "ENGINE": "vllm"}
    stray |= {name.lower(): value for name, value in stray.items()}
    proc = subprocess.run(
        [str(OCRKIT), *readme_main_job()],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "OCRKIT_CACHE_DIR": str(tmp_path), **stray},
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 from the PDF text layer, 2 OCR'd, 0 failed" in proc.stderr
    assert "engine tesseract" in proc.stderr
    # The prefixed names are the ones read.
    prefixed = subprocess.run(
        [str(OCRKIT), "samples/prospectus_ru.pdf", "-o", "-"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "OCRKIT_CACHE_DIR": str(tmp_path), "OCRKIT_LANGUAGE": "x"},
    )
    assert prefixed.returncode == 2 and "language" in prefixed.stderr


def test_page_images_work_too(tmp_path: Path) -> None:
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "300",
            "-png",
            "-f",
            "2",
            "-l",
            "2",
            str(SAMPLE),
            str(tmp_path / "scan"),
        ],
        check=True,
    )
    (image,) = tmp_path.glob("scan*.png")
    proc = run(image, "-o", "-", "--format", "txt", cache=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert cer(proc.stdout, reference(2)) <= 0.05


def test_default_output_is_next_to_the_input_and_pages_select(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(SAMPLE.read_bytes())
    proc = run(pdf, "--pages", "2", cache=tmp_path)
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "doc_OCR.md").read_text()
    assert "<!-- page 2 (PDF text layer) -->" in md and "<!-- page 1" not in md
    assert "Досрочное погашение" in md


def test_second_run_resumes_without_reading_again(tmp_path: Path) -> None:
    first = run(SAMPLE, "-o", tmp_path / "a.md", cache=tmp_path)
    second = run(SAMPLE, "-o", tmp_path / "b.md", cache=tmp_path)
    assert first.returncode == second.returncode == 0
    assert "2 resumed, 0 read" in second.stderr
    assert (tmp_path / "a.md").read_text() == (tmp_path / "b.md").read_text()
    third = run(SAMPLE, "-o", tmp_path / "c.md", "--no-resume", cache=tmp_path)
    assert "0 resumed, 2 read" in third.stderr


def _encrypted(path: Path) -> Path:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="user")
    pdf.add_page()
    pdf.output(str(path))
    return path


def _no_pages(path: Path) -> Path:
    pdfium.PdfDocument.new().save(str(path))  # a well-formed PDF with zero pages
    return path


def _truncated(path: Path) -> Path:
    data = SAMPLE.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


BAD = [
    ("missing path", lambda d: [d / "nope.pdf"], "no such file or folder"),
    (
        "folder with no documents",
        lambda d: [(d / "e").mkdir() or d / "e"],
        "no PDFs or page images",
    ),
    (
        "text file named .pdf",
        lambda d: [(d / "t.pdf").write_text("hello") and d / "t.pdf"],
        "not a PDF",
    ),
    ("truncated PDF", lambda d: [_truncated(d / "cut.pdf")], "corrupt or truncated"),
    ("encrypted PDF", lambda d: [_encrypted(d / "enc.pdf")], "encrypted"),
    ("PDF with no pages", lambda d: [_no_pages(d / "empty.pdf")], "no pages"),
    ("pages out of range", lambda d: [SAMPLE, "--pages", "1-5"], "out of range"),
    (
        "a bad image",
        lambda d: [(d / "x.png").write_bytes(b"not png") and d / "x.png"],
        "not a recognised image",
    ),
]


@pytest.mark.parametrize(("case", "args", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_fails_clearly_and_writes_nothing(
    tmp_path: Path,
    case: str,
    args,  # type: ignore[no-untyped-def]
    message: str,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    out = tmp_path / "out"
    proc = run(*args(work), "-o", f"{out}/", cache=tmp_path / "cache")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("ocrkit: error: ")
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_explicit_server_engine_fails_fast_when_the_server_is_down(tmp_path: Path) -> None:
    for engine in ("openai", "legacy"):
        # The server is found missing before any page is sent: a run that retried its pages
        # instead would wait out the retry budget, far beyond this guard against a hang.
        proc = run(SAMPLE, "--engine", engine, "-o", tmp_path / "x.md", cache=tmp_path, timeout=240)
        assert proc.returncode == 2
        assert "no OCR server at" in proc.stderr
        assert not (tmp_path / "x.md").exists()


def test_library_api(tmp_path: Path) -> None:
    import asyncio

    import ocrkit

    doc = ocrkit.ocr(SAMPLE, engine="tesseract", cache_dir=tmp_path, pages="2")
    assert [p.page for p in doc.pages] == [2] and doc.failed_pages == []
    assert cer(doc.pages[0].text, reference(2)) <= 0.05
    again = asyncio.run(ocrkit.aocr(SAMPLE, engine="tesseract", cache_dir=tmp_path, pages="2"))
    assert again.pages[0].text == doc.pages[0].text


def test_an_interrupted_run_keeps_the_documents_it_finished(tmp_path: Path) -> None:
    """Outputs are written as documents finish: Ctrl-C during the third document leaves
    the first two written whole, the third as it was (nothing), no temporary files."""
    docs = tmp_path / "in"
    docs.mkdir()
    for name in ("a.pdf", "b.pdf"):
        (docs / name).write_bytes(SAMPLE.read_bytes())
    (docs / "c.pdf").write_bytes(SCAN.read_bytes())  # OCR'd: seconds a page
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [str(OCRKIT), str(docs), "-o", f"{out}/", "--concurrency", "1"],
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "OCRKIT_CACHE_DIR": str(tmp_path / "cache")},
        # As at a terminal: a CI job's background shell starts its children with SIGINT
        # ignored, and Python then never turns Ctrl-C into KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "b_OCR.md" in line:
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest
    assert sorted(p.name for p in out.iterdir()) == ["a_OCR.md", "b_OCR.md"]
    for name in ("a_OCR.md", "b_OCR.md"):
        text = (out / name).read_text(encoding="utf-8")
        assert "<!-- page 2 (PDF text layer) -->" in text and "Досрочное погашение" in text
