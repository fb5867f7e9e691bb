"""Born-digital first: each PDF page routed by the text-layer gate, on a corpus made by code
(harness/corpus.py), through the runner with a fake engine and through the CLI with
Tesseract; the text a page gives from its layer; the routes the user can force; resume."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from fpdf import FPDF

from harness import corpus
from harness.cli import OCRKIT, env, ocrkit
from harness.fakes import FONT, FakeEngine
from ocrkit.api import make_options, ocr, prepare, read_documents
from ocrkit.outputs.results import Document
from ocrkit.pdf.document import PdfFile
from ocrkit.pdf.gate import judge
from ocrkit.runner import Stats

CASES = {case.name: case for case in corpus.CASES}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus.mixed(tmp_path_factory.mktemp("corpus") / "mixed.pdf")


def run_fake(
    path: Path, cache: Path, route: str = "auto", engine: FakeEngine | None = None
) -> tuple[Document, Stats, FakeEngine]:
    engine = engine or FakeEngine()
    options = make_options(engine="tesseract", route=route, cache_dir=cache)
    docs, stats = asyncio.run(read_documents(prepare([path]), engine, options))
    return docs[0], stats, engine


@pytest.mark.parametrize("name", list(CASES))
def test_each_case_alone_takes_its_route_and_gives_its_text(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    pdf = PdfFile(corpus.case_pdf(tmp_path, case))
    layer = pdf.layer(1)
    pdf.close()
    gate = judge(layer)
    assert gate.route == case.route, gate
    if case.text is not None:
        assert corpus.normalise(layer.text) == case.text
    if gate.route == "ocr":
        # The reason names its measure and the threshold the value crossed.
        assert gate.measure and gate.threshold is not None and gate.value is not None


def test_the_mixed_document_routes_every_page_as_its_case_says(mixed: Path, tmp_path: Path) -> None:
    doc, stats, engine = run_fake(mixed, tmp_path / "cache")
    ocr_pages = [i for i, case in enumerate(corpus.CASES, 1) if case.route == "ocr"]
    assert [p.page for p in doc.pages if p.source == "ocr"] == ocr_pages
    # Text-layer pages never reach the engine; only the exhibit, a picture of text on an
    # otherwise good page, does, alone.
    assert len(engine.calls) == len(ocr_pages) + 1
    for page, case in zip(doc.pages, corpus.CASES, strict=True):
        assert page.gate is not None and page.gate.route == case.route, (case.name, page.gate)
        if case.name == "born-digital-with-exhibit":
            assert page.source == "text-layer" and page.engine == "pdf-text-layer+fake"
            (picture,) = [b for b in page.blocks or [] if b.metadata.get("ocr") == "fake"]
            assert picture.content.startswith("page ") and picture.content in page.text
            assert corpus.PROSE[0].split()[0] in page.text
        elif case.route == "text-layer":
            assert page.source == "text-layer" and page.engine == "pdf-text-layer"
            # Its ruled table comes as a Markdown table (tests/test_tables_text_layer.py):
            # the same words, cell by cell.
            assert corpus.normalise(corpus.untabled(page.text)) == case.text
            assert page.error is None
    empty = doc.pages[list(CASES).index("empty")]
    assert empty.ok and empty.text == "" and "empty" in empty.gate.reason  # type: ignore[union-attr]
    assert stats.text_layer == len(corpus.CASES) - len(ocr_pages)
    assert stats.ocr == len(ocr_pages) and stats.failed == 0


def test_route_ocr_reads_every_page_and_route_text_never_calls_the_engine(
    mixed: Path, tmp_path: Path
) -> None:
    doc, _, engine = run_fake(mixed, tmp_path / "c1", route="ocr")
    assert len(engine.calls) == len(corpus.CASES)
    assert all(p.source == "ocr" and p.gate is None for p in doc.pages)

    doc, stats, engine = run_fake(mixed, tmp_path / "c2", route="text")
    assert engine.calls == [] and stats.ocr == 0
    assert all(p.source == "text-layer" for p in doc.pages)
    scanned = doc.pages[list(CASES).index("scanned")]
    assert scanned.text == ""  # as it is: a scan has no text layer


def test_route_text_on_an_image_says_it_has_no_text_layer(tmp_path: Path) -> None:
    from harness.images import page_png

    image = tmp_path / "scan.png"
    image.write_bytes(page_png())
    doc, _, engine = run_fake(image, tmp_path / "cache", route="text")
    assert engine.calls == [] and doc.pages[0].source == "failed"
    assert "no text layer" in (doc.pages[0].error or "")


def test_resume_keeps_routes_apart(mixed: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _, first, _ = run_fake(mixed, cache)
    assert first.resumed == 0
    # Same route again: everything resumes, text-layer pages included; nothing is read.
    doc, again, engine = run_fake(mixed, cache)
    assert again.resumed == len(corpus.CASES) and engine.calls == []
    # OCR every page: no page read from its text layer passes for an OCR'd one.
    doc, forced, engine = run_fake(mixed, cache, route="ocr")
    assert forced.resumed == 0 and len(engine.calls) == len(corpus.CASES)
    assert all(p.source == "ocr" for p in doc.pages)


def test_a_failed_ocr_does_not_fall_back_to_a_layer_the_gate_rejected(
    mixed: Path, tmp_path: Path
) -> None:
    from harness.fakes import fail

    doc, _, _ = run_fake(mixed, tmp_path / "cache", engine=FakeEngine(fail("server down")))
    garbage = doc.pages[list(CASES).index("scan-with-garbage-layer")]
    assert garbage.source == "failed" and garbage.text == ""
    # A good layer that only lacked an exhibit still stands in, marked with the error.
    exhibit = doc.pages[list(CASES).index("born-digital-with-exhibit")]
    assert exhibit.source == "text-layer" and exhibit.error == "server down"


def _lines_pdf(path: Path, lines: list[str], *, x: float = 20) -> Path:
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=corpus.FONT)
    pdf.set_font("dejavu", size=12)
    pdf.add_page()
    pdf.set_xy(x, 20)
    for line in lines:
        if line:
            pdf.cell(170, 7, line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(7)
        pdf.set_x(x)
    path.write_bytes(bytes(pdf.output()))
    return path


def _layer_text(path: Path) -> str:
    pdf = PdfFile(path)
    try:
        return pdf.layer(1).text
    finally:
        pdf.close()


def test_wrapped_lines_join_hyphens_go_and_paragraphs_stay_apart(tmp_path: Path) -> None:
    long = "Эмитент вправе принять решение о досрочном погашении всех облигаций выпуска в"
    lines = [
        long,
        "дату окончания десятого купонного периода, уведомив владельцев облига-",
        "ций не позднее чем за 14 дней.",
        "",
        "Выручка, млн руб.          18 452",
        "Чистая прибыль, млн руб.    2 317",
    ]
    text = _layer_text(_lines_pdf(tmp_path / "p.pdf", lines))
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == (
        f"{long} дату окончания десятого купонного периода, уведомив владельцев облигаций "
        "не позднее чем за 14 дней."
    )
    # Table rows end in figures: each stays a line of its own.
    assert [" ".join(p.split()) for p in paragraphs[1:]] == [
        "Выручка, млн руб. 18 452",
        "Чистая прибыль, млн руб. 2 317",
    ]


def test_a_line_broken_by_hand_mid_sentence_joins_the_next(tmp_path: Path) -> None:
    # The sample's "... по итогам сбора заявок" / "и" / "составляет 12,75% годовых": short
    # lines, but the sentence runs on into a lowercase word.
    lines = [
        "Процентная ставка первого купона определяется по итогам сбора заявок",
        "и",
        "составляет 12,75% годовых.",
        "Порядок расчёта",
        "купонного дохода указан ниже.",
        "В решение о выпуске включены:",
        "а) сведения об эмитенте;",
        "б) сведения о ценных бумагах.",
        "в) дата размещения",
        "г) порядок погашения",
    ]
    text = _layer_text(_lines_pdf(tmp_path / "p.pdf", lines))
    assert text.split("\n\n") == [
        "Процентная ставка первого купона определяется по итогам сбора заявок и составляет "
        "12,75% годовых.",
        "Порядок расчёта купонного дохода указан ниже.",
        # A lead-in and list items end in ":" and ";": each stays its own line.
        "В решение о выпуске включены:",
        "а) сведения об эмитенте;",
        "б) сведения о ценных бумагах.",
        # Lettered items stay apart, however they end.
        "в) дата размещения",
        "г) порядок погашения",
    ]


def test_headers_and_footers_are_kept_as_text(tmp_path: Path) -> None:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("dejavu", fname=corpus.FONT)
    pdf.set_font("dejavu", size=9)
    pdf.add_page()
    pdf.set_xy(20, 8)
    pdf.cell(170, 5, "ООО «Альфа Финанс». Проспект ценных бумаг")
    pdf.set_font("dejavu", size=12)
    pdf.set_xy(20, 30)
    pdf.cell(170, 7, corpus.PROSE[2][:60])
    pdf.set_font("dejavu", size=9)
    pdf.set_xy(20, 285)
    pdf.cell(170, 5, "Страница 7 из 120", align="C")
    path = tmp_path / "hf.pdf"
    path.write_bytes(bytes(pdf.output()))
    assert _layer_text(path).split("\n\n") == [
        "ООО «Альфа Финанс». Проспект ценных бумаг",
        corpus.PROSE[2][:60].strip(),
        "Страница 7 из 120",
    ]


@pytest.mark.slow  # Tesseract reads four pages
def test_the_cli_routes_the_mixed_document_with_tesseract(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = ocrkit(
        mixed, "--engine", "tesseract", "--format", "json", "-o", out, environ=env(tmp_path)
    )
    assert proc.returncode == 0, proc.stderr
    pages = json.loads(out.read_text())["pages"]
    assert [p["source"] for p in pages] == [
        "text-layer" if c.route == "text-layer" else "ocr" for c in corpus.CASES
    ]
    for page in pages:
        gate = page["gate"]
        assert set(gate) >= {"route", "reason", "measure", "value", "threshold", "measures"}
    scanned = pages[list(CASES).index("scanned")]
    assert scanned["engine"] == "tesseract" and "Альфа Финанс" in scanned["text"]
    exhibit = pages[list(CASES).index("born-digital-with-exhibit")]
    assert exhibit["engine"] == "pdf-text-layer+tesseract"
    assert "Совет директоров" in exhibit["text"]  # the picture's text, read by Tesseract
    n_text = sum(c.route == "text-layer" for c in corpus.CASES)
    n_ocr = len(corpus.CASES) - n_text
    assert f"{n_text} from the PDF text layer, {n_ocr} OCR'd, 0 failed" in proc.stderr
    # The progress lines show the text-layer pages going by.
    assert proc.stderr.count(": text-layer") == n_text


def test_help_explains_each_route_in_a_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(OCRKIT), "--help"], env=env(tmp_path), capture_output=True, text=True, check=True
    )
    lines = [" ".join(line.split()) for line in proc.stdout.splitlines()]
    for route in ("auto its own text layer", "ocr OCR every page", "text the text layer only"):
        assert sum(line.startswith(route) for line in lines) == 1, proc.stdout


def test_a_glyph_pdfium_leaves_out_of_the_text_shifts_no_line_box(tmp_path: Path) -> None:
    """A bullet whose font maps it to U+0002 (a Redbook's "►"): PDFium's text leaves it out,
    yet every line after it keeps its own box and size."""
    from harness.fakes import content_pdf, first_layer

    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
        b"/CMapName /Bullets def 1 begincodespacerange <00> <FF> endcodespacerange "
        b"1 beginbfchar <95> <0002> endbfchar "
        b"1 beginbfrange <20> <7E> <0020> endbfrange "
        b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    lines = [b"\x95 First item of the list", b"\x95 Second item of the list", b"After the list"]
    content = b"BT /F1 10 Tf 72 700 Td 14 TL " + b" ".join(
        b"(" + line + b") Tj T*" for line in lines
    )
    content += b" /F1 20 Tf 200 -40 Td (Heading) Tj ET"
    layer = first_layer(content_pdf(tmp_path / "bullets.pdf", content, to_unicode=cmap))
    boxes = {line.text.strip("\u00ad\ufffd "): line for line in layer.lines}
    assert boxes["After the list"].box.left == pytest.approx(72, abs=1)
    assert boxes["Heading"].box.left == pytest.approx(272, abs=3)
    assert boxes["Heading"].size == pytest.approx(20, abs=0.5)


def test_a_chapter_title_wrapped_under_its_words_is_one_heading(tmp_path: Path) -> None:
    """ "Chapter 1. Securing and protecting IBM DB2" / "data", the second line set under the
    words past the number: one title; the text under it stays a paragraph of its own."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_page()
    pdf.set_font("dejavu", size=24)
    pdf.text(20, 40, "Chapter 1. Securing and protecting IBM DB2")
    pdf.text(58, 51, "data")
    pdf.set_font("dejavu", size=10)
    for i in range(6):
        pdf.text(58, 70 + 5 * i, f"Line {i + 1} of the chapter's opening paragraph goes on here.")
    path = tmp_path / "chapter.pdf"
    pdf.output(str(path))
    (page,) = ocr(path, route="text", cache_dir=tmp_path / "cache").pages
    titles = [b.content for b in page.blocks or [] if b.type == "title"]
    assert titles == ["Chapter 1. Securing and protecting IBM DB2 data"]
    assert page.text.startswith("Chapter 1. Securing and protecting IBM DB2 data\n\nLine 1")


def test_a_bold_title_a_little_larger_than_the_text_is_one_heading_over_its_lines(
    tmp_path: Path,
) -> None:
    """A back cover's bold title, set a little larger than its column's text and broken
    into short lines ("INTERNATIONAL TECHNICAL" / "SUPPORT ORGANIZATION"), and a law's
    centred bold title over two lines: each one heading. Paragraphs set that much larger
    but not bold stay apart, sentence by sentence."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_font("dejavu", style="B", fname=FONT.replace("DejaVuSans", "DejaVuSans-Bold"))
    pdf.add_page()
    pdf.set_font("dejavu", style="B", size=12.5)
    for i, line in enumerate(["INTERNATIONAL", "TECHNICAL", "SUPPORT", "ORGANIZATION"]):
        pdf.text(140, 30 + 5 * i, line)
    pdf.set_font("dejavu", style="B", size=12)
    pdf.text(40, 70, "Об Общественной телерадиовещательной корпорации")
    pdf.text(70, 76, "Кыргызской Республики")
    pdf.set_font("dejavu", size=10)
    for i in range(12):
        pdf.text(20, 90 + 5 * i, f"Line {i + 1} of the body text goes on at the size of the text.")
    pdf.set_font("dejavu", size=12)
    pdf.text(20, 160, "A paragraph set larger ends here.")
    pdf.text(20, 166, "Another paragraph set larger starts here.")
    path = tmp_path / "titles.pdf"
    pdf.output(str(path))
    (page,) = ocr(path, route="text", cache_dir=tmp_path / "cache").pages
    parts = page.text.split("\n\n")
    assert "INTERNATIONAL TECHNICAL SUPPORT ORGANIZATION" in parts
    assert "Об Общественной телерадиовещательной корпорации Кыргызской Республики" in parts
    assert "A paragraph set larger ends here." in parts


def test_a_lam_alef_ligature_reads_in_its_letters_order(tmp_path: Path) -> None:
    """A bank's income statement made by Word (bench/realpages_intl): its fonts map the
    lam-alef ligature, one glyph, to alef then lam. The layer's text reads lam then alef
    ("الأهلي", not "األهلي"), in its lines and its tables' cells, and the definite article,
    two glyphs, stays as written."""
    pdf = (
        Path(__file__).parent.parent
        / "bench/realpages_intl/pdfs/ar_arabicragscanned_nbeincome2024_p4.pdf"
    )
    (page,) = ocr(pdf, route="text", cache_dir=tmp_path / "cache").pages
    assert page.source == "text-layer"
    words = set(page.text.split())
    assert {"الأهلي", "والإيرادات", "الإيضاحات"} <= words
    assert not words & {"األهلي", "واإليرادات", "اإليضاحات"}
    # In its tables' cells too (their runs are read apart from the line).
    tables = [b for b in page.blocks or [] if b.type == "table"]
    cells = " ".join(c["text"] for t in tables for c in t.metadata["cells"]).split()
    assert "والعمولات" in cells and "والعموالت" not in cells
    assert "الأرباح" in page.text  # the article's alef and lam, then the ligature's
