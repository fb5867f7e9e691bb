"""Page furniture on text-layer pages: running headers, footers and page numbers leave the
text and stay in the JSON blocks; titles, tables' repeated header rows and copied pages are
not mistaken for it; --keep-furniture keeps it inline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF

import ocrkit
from harness import structure_corpus as corpus
from harness.fakes import FONT
from harness.structure_rules import Absent, score


def _pdf(path: Path, pages: int, draw: Callable[[FPDF, int], None]) -> Path:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_font("dejavu", style="B", fname=FONT.replace("DejaVuSans", "DejaVuSans-Bold"))
    pdf.set_font("dejavu", size=10)
    for n in range(1, pages + 1):
        pdf.add_page()
        draw(pdf, n)
    pdf.output(str(path))
    return path


def _text(pdf: FPDF, x: float, y: float, text: str) -> None:
    pdf.set_xy(x, y)
    pdf.cell(170, 5, text)


WORDS = [
    "выручка",
    "прибыль",
    "купон",
    "облигация",
    "эмитент",
    "погашение",
    "ставка",
    "номинал",
    "рейтинг",
    "залог",
]


def _body(pdf: FPDF, n: int) -> None:
    """Eight lines, different words on every page (digits alone would not make them so)."""
    for i in range(8):
        words = f"{WORDS[n % len(WORDS)]} и {WORDS[i % len(WORDS)]}"
        _text(pdf, 20, 40 + 8 * i, f"Страница {n}, абзац {i}: {words}, {n * 10 + i} рублей.")


def test_the_corpus_furniture_leaves_the_text_and_stays_in_the_blocks(tmp_path: Path) -> None:
    pdf = corpus.build(tmp_path / "report.pdf")
    doc = ocrkit.ocr(pdf, route="text", cache_dir=tmp_path / "cache")
    pages = {p.page: p.text for p in doc.pages}
    absent = [r for r in corpus.rules() if isinstance(r, Absent)]
    assert score(absent, pages)["absent"] == (len(absent), len(absent))
    roles = {b.type for p in doc.pages for b in p.blocks or []}
    assert {"header", "footer", "page_number"} <= roles or {"header", "footer"} <= roles
    header = next(b for b in doc.pages[2].blocks or [] if b.type == "header")
    assert header.content == corpus.HEADER and header.bbox is not None and header.bbox.y0 < 40
    kept = ocrkit.ocr(pdf, route="text", keep_furniture=True, cache_dir=tmp_path / "cache")
    for page in kept.pages:
        # Inline once, where a reader meets it: the header first, the footer last; no second
        # copy of it in a paragraph or after the ordered blocks.
        blocks = page.blocks or []
        assert all("order" in b.metadata for b in blocks)
        assert blocks[0].type == "header" and blocks[0].content == corpus.HEADER
        assert blocks[-1].type in ("footer", "page_number")
        assert page.text.startswith(corpus.HEADER) and page.text.count(corpus.HEADER) == 1
        assert all(corpus.HEADER not in b.content for b in blocks[1:])
    # The schedule's second part still says it continues the first.
    (schedule,) = [b for b in kept.pages[3].blocks or [] if b.type == "table"]
    assert schedule.metadata["continues_from_page"] == 3


def test_page_numbers_go_but_a_title_alone_at_the_top_stays(tmp_path: Path) -> None:
    def draw(pdf: FPDF, n: int) -> None:
        _text(pdf, 20, 12, "Годовой отчёт эмитента")
        _body(pdf, n)
        _text(pdf, 100, 285, f"- {n} -")

    doc = ocrkit.ocr(_pdf(tmp_path / "one.pdf", 1, draw), route="text", cache_dir=tmp_path)
    (page,) = doc.pages
    assert "Годовой отчёт эмитента" in page.text and "- 1 -" not in page.text
    furniture = [b.type for b in page.blocks or [] if "order" not in b.metadata]
    assert furniture == ["page_number"]


def test_a_tables_header_row_repeated_at_the_top_of_each_page_stays_in_the_table(
    tmp_path: Path,
) -> None:
    def draw(pdf: FPDF, n: int) -> None:
        pdf.set_y(12)
        with pdf.table(col_widths=(40, 60)) as table:
            for row in [
                ("№ купона", "Дата выплаты"),
                *((str(n * 10 + i), "01.01.2030") for i in range(5)),
            ]:
                cells = table.row()
                for cell in row:
                    cells.cell(cell)

    doc = ocrkit.ocr(_pdf(tmp_path / "t.pdf", 3, draw), route="text", cache_dir=tmp_path)
    for page in doc.pages:
        assert page.text.startswith("| № купона | Дата выплаты |"), page.text
        assert not [b for b in page.blocks or [] if b.type == "header"]


def test_copied_pages_are_no_evidence_of_a_running_header(tmp_path: Path) -> None:
    def draw(pdf: FPDF, n: int) -> None:
        _text(pdf, 20, 15, "Заявление на приобретение облигаций")
        _body(pdf, 1)  # every page the same form

    doc = ocrkit.ocr(_pdf(tmp_path / "form.pdf", 3, draw), route="text", cache_dir=tmp_path)
    assert all(p.text.startswith("Заявление на приобретение облигаций") for p in doc.pages)


def test_a_running_header_with_a_changing_date_and_number_is_found(tmp_path: Path) -> None:
    def draw(pdf: FPDF, n: int) -> None:
        _text(pdf, 20, 10, f"Отчёт эмитента за {n} квартал 2025 года, лист {n}")
        _body(pdf, n)

    doc = ocrkit.ocr(_pdf(tmp_path / "h.pdf", 4, draw), route="text", cache_dir=tmp_path)
    assert all("Отчёт эмитента за" not in p.text for p in doc.pages)
    assert all(p.text.startswith(f"Страница {p.page}, абзац 0") for p in doc.pages)


def _read_alone(tmp_path: Path, draw: Callable[[FPDF, int], None]) -> ocrkit.PageResult:
    """A one-page document drawn by `draw`, read by default: from its text layer."""
    path = _pdf(tmp_path / "alone.pdf", 1, draw)
    (result,) = ocrkit.ocr(path, engine="tesseract", cache_dir=tmp_path / "cache").pages
    assert result.source == "text-layer"
    return result


def _roles(result: ocrkit.PageResult, *marks: str) -> set[str]:
    """The roles of the blocks that hold any of `marks`."""
    return {b.type for b in result.blocks or [] if any(m in b.content for m in marks)}


def test_a_page_alone_loses_its_running_head_and_foot_but_keeps_its_title(
    tmp_path: Path,
) -> None:
    """One page, no neighbours to compare with: the head and foot at its edges, set apart
    and smaller than its text or saying what furniture says, leave the text; its title,
    set larger, stays."""

    def page(pdf: FPDF, n: int) -> None:
        pdf.set_font("dejavu", size=8)
        _text(pdf, 20, 8, "Годовой отчёт ПАО «Альфа Финанс» за 2025 год")
        pdf.set_font("dejavu", size=16)
        _text(pdf, 20, 30, "Финансовые результаты")
        pdf.set_font("dejavu", size=11)
        for i in range(12):
            _text(pdf, 20, 45 + 7 * i, f"Выручка компании за период {i + 1} выросла по сравнению.")
        _text(pdf, 20, 284, "© 2025 ПАО «Альфа Финанс». Все права защищены.")

    result = _read_alone(tmp_path, page)
    assert "Годовой отчёт" not in result.text and "Все права защищены" not in result.text
    assert "Финансовые результаты" in result.text and "период 12" in result.text
    assert _roles(result, "Годовой", "©") == {"header", "footer"}


def test_a_font_scaled_by_the_text_matrix_has_the_size_a_reader_sees(tmp_path: Path) -> None:
    """Word and LaTeX set text at size 1 and scale it with the text matrix: the size of a
    line is then its glyphs' em box, not 1."""
    from harness.fakes import content_pdf, first_layer

    content = b"BT /F1 1 Tf 18 0 0 18 72 700 Tm (Title) Tj 10 0 0 10 72 650 Tm (Body text) Tj ET"
    layer = first_layer(content_pdf(tmp_path / "scaled.pdf", content))
    sizes = {line.text: line.size for line in layer.lines}
    assert sizes["Title"] > 1.5 * sizes["Body text"] > 10


def test_a_page_alone_loses_a_numbered_head_and_foot_in_wide_margins(tmp_path: Path) -> None:
    """A page cut from a book: its running head, smaller, ends with the page number and
    stands further in than the edge (wide margins); its foot, set like the text, has the
    page numbers set off at both ends (a spread's two feet). Both leave the text; the
    first line of the body, ending with a number as well, stays."""

    def page(pdf: FPDF, n: int) -> None:
        pdf.set_font("dejavu", size=9)
        _text(pdf, 40, 32, "Optimized Table Tokenization for Table Structure Recognition 9")
        pdf.set_font("dejavu", size=10)
        _text(pdf, 40, 45, "The model was trained for 12 epochs on a single machine with 8")
        for i in range(14):
            _text(pdf, 40, 51 + 6 * i, f"Training step {i + 1} kept the same learning rate.")
        pdf.set_xy(20, 284)
        pdf.cell(10, 5, "208")
        pdf.set_xy(40, 284)
        pdf.cell(100, 5, "Global Study on Legal Aid")
        pdf.set_xy(180, 284)
        pdf.cell(10, 5, "209")

    result = _read_alone(tmp_path, page)
    assert "Optimized Table" not in result.text and "Global Study" not in result.text
    assert "single machine with 8" in result.text and "Training step 14" in result.text
    assert _roles(result, "Optimized", "208") == {"header", "footer"}


def test_a_page_alone_loses_a_head_and_foot_ruled_off_but_keeps_a_title_over_a_rule(
    tmp_path: Path,
) -> None:
    """A page cut from a report: its running head and foot are set like its text, and a
    rule across the page parts each from the body (a town's annual accounts, a law as its
    publisher prints it). Both leave the text. A title set larger over a rule of its own
    stays, and so does a heading of the body over a table's ruled top."""

    def page(pdf: FPDF, n: int) -> None:
        pdf.set_font("dejavu", size=10)
        _text(pdf, 20, 10, "Gesamtabschluss 2022 der Stadt Musterstadt")
        pdf.line(18, 18, 192, 18)
        _text(pdf, 20, 24, "Bericht über die Finanzlage der Gemeinde im Jahr")
        for i in range(12):
            _text(
                pdf,
                20,
                32 + 7 * i,
                f"Die Erträge der Position {i + 1} stiegen gegenüber dem Vorjahr.",
            )
        pdf.line(18, 280, 192, 280)
        _text(pdf, 20, 284, "Musterstadt, Kämmerei, Jahresabschluss")

    result = _read_alone(tmp_path, page)
    assert "Gesamtabschluss" not in result.text and "Kämmerei" not in result.text
    assert "Bericht über die Finanzlage" in result.text and "Position 12" in result.text
    assert _roles(result, "Gesamtabschluss", "Kämmerei") == {"header", "footer"}

    def titled(pdf: FPDF, n: int) -> None:
        pdf.set_font("dejavu", size=16)
        _text(pdf, 20, 10, "Jahresabschluss 2022")
        pdf.line(18, 19, 192, 19)
        pdf.set_font("dejavu", size=10)
        for i in range(12):
            _text(
                pdf,
                20,
                30 + 7 * i,
                f"Die Erträge der Position {i + 1} stiegen gegenüber dem Vorjahr.",
            )

    (tmp_path / "titled").mkdir()
    assert "Jahresabschluss 2022" in _read_alone(tmp_path / "titled", titled).text


def test_a_note_set_on_its_side_in_a_margin_leaves_the_text(tmp_path: Path) -> None:
    """A copy service's stamp set up the page's left margin, beside all the text: it
    leaves the text, as a furniture block; a line of the body is never taken for it."""

    def page(pdf: FPDF, n: int) -> None:
        pdf.set_font("dejavu", size=8)
        with pdf.rotation(90, x=8, y=220):
            pdf.set_xy(8, 220)
            pdf.cell(150, 4, "Официальная копия номер 0085529; Абонент: ФБУ «Тест»")
        pdf.set_font("dejavu", size=10)
        for i in range(20):
            _text(
                pdf, 25, 30 + 7 * i, f"Бланки документов изготавливают на бумаге формата {i + 1}."
            )

    result = _read_alone(tmp_path, page)
    assert "Официальная копия" not in result.text and "формата 20" in result.text
    assert _roles(result, "Официальная копия") <= {"header", "footer"}
    assert _roles(result, "Официальная копия")


def test_page_numbers_said_in_the_languages_of_the_pages_read_as_page_numbers() -> None:
    from ocrkit.structure.furniture import is_page_number, line_key

    for text in (
        "стр. 2 из 12",
        "Page 7 of 120",
        "Seite 6 von 60",
        "pag. 6 di 32",
        "página 4 de 9",
        "Strona 3 z 10",
        "Сторінка 5 із 9",
        "- 7 -",
    ):
        assert is_page_number(line_key(text)), text
    for text in ("Seite acht", "Статья 12", "Итого 12", "Page layout"):
        assert not is_page_number(line_key(text)), text
