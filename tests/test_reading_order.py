"""Reading order on born-digital pages: two columns read column by column (whatever order
the PDF wrote them in), a sentence that wraps inside a column joined into one paragraph, a
formula line in its place; each page as blocks in that order."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image

import ocrkit
from harness import structure_corpus as corpus
from harness.cli import SAMPLE
from harness.fakes import FONT
from harness.structure_rules import Order, Present
from ocrkit.pdf.text_layer import Box, Line, _continues


def test_columns_and_formula_pages_pass_their_present_and_order_rules(tmp_path: Path) -> None:
    pdf = corpus.build(tmp_path / "report.pdf")
    doc = ocrkit.ocr(pdf, route="text", pages="5,6", cache_dir=tmp_path / "cache")
    pages = {p.page: p.text for p in doc.pages}
    rules = [r for r in corpus.rules() if isinstance(r, Present | Order) and r.page in pages]
    assert len(rules) >= 8
    assert [r for r in rules if not r.check(pages[r.page])] == []
    # The left column's second paragraph is one paragraph, not a line each.
    assert "определяется по итогам сбора заявок и составляет 12,75% годовых." in pages[5]


def test_text_layer_pages_are_blocks_in_reading_order_with_roles(tmp_path: Path) -> None:
    pdf = corpus.build(tmp_path / "report.pdf")
    doc = ocrkit.ocr(pdf, route="text", pages="1,5", cache_dir=tmp_path / "cache")
    balance, columns = doc.pages
    body = [b for b in columns.blocks or [] if "order" in b.metadata]
    assert [b.metadata["order"] for b in body] == list(range(len(body)))
    assert body[0].type == "title" and body[0].content == "Условия выпуска"
    assert all(b.type == "text" for b in body[1:])
    # The text is the blocks' contents in their order; the left column before the right.
    assert columns.text == "\n\n".join(b.content for b in body)
    left = next(b for b in body if "12,75%" in b.content)
    right = next(b for b in body if b.bbox and b.bbox.x0 > 300)
    assert body.index(left) < body.index(right) and left.bbox.x1 < right.bbox.x0
    # Furniture follows, out of the text's order; a table is a block in its place.
    assert {b.type for b in columns.blocks or [] if "order" not in b.metadata} >= {"header"}
    kinds = [b.type for b in balance.blocks or [] if "order" in b.metadata]
    assert kinds[0] == "title" and "table" in kinds


def _columns_pdf(path: Path, write: str) -> Path:
    """A full-width title over two columns of the corpus's paragraphs, written to the PDF
    right column first
    (`right-first`) or a row at a time, a line of each column on one baseline
    (`interleaved`: PDFium reads each row as one line with a wide gap)."""
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=10)
    columns = []
    for x, paragraphs in ((20.0, corpus.LEFT), (110.0, corpus.RIGHT)):
        lines: list[tuple[float, float, str]] = []
        y = 40.0
        for text in paragraphs:
            for line in pdf.multi_cell(80, 5.5, text, dry_run=True, output="LINES"):
                lines.append((x, y, line))
                y += 5.5
            y += 4
        columns.append(lines)
    left, right = columns
    pdf.text(20, 30, "Условия выпуска облигаций серии БО-07: краткое изложение для инвесторов")
    if write == "right-first":
        order = right + left
    else:
        order = [line for pair in itertools.zip_longest(left, right) for line in pair if line]
    for x, y, text in order:
        pdf.text(x, y, text)
    pdf.output(str(path))
    return path


@pytest.mark.parametrize("write", ["right-first", "interleaved"])
def test_columns_read_in_order_whatever_order_the_pdf_wrote_them(
    tmp_path: Path, write: str
) -> None:
    pdf = _columns_pdf(tmp_path / f"{write}.pdf", write)
    (page,) = ocrkit.ocr(pdf, route="text", cache_dir=tmp_path / "cache").pages
    assert page.source == "text-layer"
    title, *paragraphs = page.text.split("\n\n")
    assert title.startswith("Условия выпуска") and paragraphs == corpus.LEFT + corpus.RIGHT


TERMS = [
    ("Эмитент:", "ПАО «Северный инвестиционный банк»"),
    ("Вид ценных бумаг:", "биржевые облигации процентные неконвертируемые"),
    ("Срок обращения:", "пять лет с даты начала размещения выпуска"),
    ("Порядок погашения:", "в дату окончания срока обращения по номиналу"),
]


def test_what_is_not_two_columns_keeps_its_order(tmp_path: Path) -> None:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=10)
    # A date on the right above a salutation on the left: not two columns.
    pdf.text(150, 30, "15 марта 2026 г.")
    pdf.text(20, 45, "Уважаемые владельцы облигаций!")
    # Labels beside their values, a wide gap between: read row by row, not labels first.
    for i, (label, value) in enumerate(TERMS):
        pdf.text(20, 60 + 6 * i, label)
        pdf.text(80, 60 + 6 * i, value)
    pdf.output(str(tmp_path / "letter.pdf"))
    (page,) = ocrkit.ocr(tmp_path / "letter.pdf", route="text", cache_dir=tmp_path / "c").pages
    text = page.text
    assert text.index("15 марта") < text.index("Уважаемые")
    for (label, value), (next_label, _) in itertools.pairwise(TERMS):
        assert text.index(label) < text.index(value) < text.index(next_label)


def test_bold_headings_in_body_sized_text_are_titles(tmp_path: Path) -> None:
    # The sample prospectus sets its headings in bold at the body's size.
    doc = ocrkit.ocr(SAMPLE, route="text", cache_dir=tmp_path / "cache")
    titles = [b.content for p in doc.pages for b in p.blocks or [] if b.type == "title"]
    assert titles == [
        "ПРОСПЕКТ ЦЕННЫХ БУМАГ",
        "1. Общие сведения о выпуске",
        "2. Порядок определения дохода",
        "3. Досрочное погашение",
        "4. Сведения о финансовом положении эмитента",
        "5. Риски",
    ]
    # The sentence the sample breaks by hand after "и" is one paragraph.
    first = doc.pages[0].text.split("\n\n")
    assert (
        "Процентная ставка первого купона определяется по итогам сбора заявок и составляет "
        "12,75% годовых. Ставки последующих купонов равны ставке первого купона."
    ) in first
    # A bold sentence is emphasis, not a heading.
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_font("dejavu", style="B", fname=FONT.replace("DejaVuSans", "DejaVuSans-Bold"))
    pdf.set_font("dejavu", "B", 10)
    pdf.text(20, 30, "Облигации не являются банковским вкладом.")
    pdf.set_font("dejavu", size=10)
    for i in range(4):
        pdf.text(20, 40 + 5 * i, f"Строка {i + 1} основного текста проспекта без выделения")
    pdf.output(str(tmp_path / "bold.pdf"))
    (page,) = ocrkit.ocr(tmp_path / "bold.pdf", route="text", cache_dir=tmp_path / "c").pages
    assert all(b.type != "title" for b in page.blocks or [])


def test_a_formula_line_is_a_formula_block_and_the_title_above_stays_a_title(
    tmp_path: Path,
) -> None:
    # The formula page: a bold 13 pt title over 10 pt text on a page of short lines (its
    # title once ran into the paragraph under it), the formula centred between paragraphs.
    born = corpus.build(tmp_path / "report.pdf")
    scan = corpus.scan(tmp_path / "scan.pdf")
    for doc in (
        ocrkit.ocr(born, route="text", pages="5-7", cache_dir=tmp_path / "cache"),
        ocrkit.ocr(scan, engine="tesseract", pages="5-7", cache_dir=tmp_path / "cache"),
    ):
        page = doc.pages[1]
        body = [b for b in page.blocks or [] if "order" in b.metadata]
        assert [b.type for b in body] == ["title", "text", "formula", "text"], body
        assert body[0].content == "Расчёт накопленного купонного дохода"
        # On the scan too: read on its own with Latin first ("N", not "М"), with the signs
        # Tesseract's models lack put back ("×", "−") and the index zero ("T0", not "TO").
        assert body[2].content == corpus.FORMULA
        pages = {p.page: p.text for p in doc.pages}
        rules = [r for r in corpus.rules() if isinstance(r, Present | Order) and r.page in pages]
        assert len(rules) == 10 and [r for r in rules if not r.check(pages[r.page])] == []
    # The words the searchable PDF lays over the scan say the same, in their places.
    words = [b for b in page.blocks or [] if b.type == "word"]
    assert [b.id for b in page.blocks or []] == list(range(len(page.blocks or [])))
    box = body[2].bbox
    assert box is not None
    line = [w for w in words if w.bbox and box.y0 <= (w.bbox.y0 + w.bbox.y1) / 2 <= box.y1]
    assert " ".join(w.content for w in line) == corpus.FORMULA
    assert len({w.metadata["line"] for w in line}) == 1


def test_captions_beside_their_table_or_figure_and_footnotes_take_their_roles(
    tmp_path: Path,
) -> None:
    chart = tmp_path / "chart.png"
    Image.new("RGB", (600, 300), "steelblue").save(chart)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=10)
    pdf.text(20, 30, "Выручка банка выросла за год на 18 процентов.")
    pdf.image(str(chart), x=20, y=40, w=120, h=60)
    pdf.text(20, 108, "Рисунок 1. Динамика выручки, млн руб.")
    pdf.text(20, 125, "Таблица 2 приводит показатели по сегментам.")  # a sentence, no table
    pdf.text(20, 160, "Итого по году = 1 234 + 567")  # words: not a formula
    pdf.set_font("dejavu", size=7)
    pdf.text(20, 270, "1 Данные не аудированы.")
    path = tmp_path / "figure.pdf"
    pdf.output(str(path))
    (page,) = ocrkit.ocr(path, route="text", cache_dir=tmp_path / "cache").pages
    roles = {b.content: b.type for b in page.blocks or [] if "order" in b.metadata}
    assert roles == {
        "Выручка банка выросла за год на 18 процентов.": "text",
        "Рисунок 1. Динамика выручки, млн руб.": "caption",
        "Таблица 2 приводит показатели по сегментам.": "text",
        "Итого по году = 1 234 + 567": "text",
        "1 Данные не аудированы.": "footnote",
    }
    (figure,) = [b for b in page.blocks or [] if b.type == "figure"]
    assert figure.content == "" and "order" not in figure.metadata
    assert figure.bbox is not None and (figure.bbox.x0, figure.bbox.y1) == (57, 283)


BODY = (
    "Эмитент осуществляет деятельность на рынке корпоративного кредитования с 2004 года. "
    "Основная часть выручки приходится на процентные доходы по кредитам юридическим лицам. "
    "В 2025 году кредитный портфель вырос на 18 процентов, а доля просроченной задолженности "
    "снизилась до 2,1 процента. Средства от размещения облигаций будут направлены на "
    "финансирование кредитов малому и среднему бизнесу в регионах присутствия банка. "
) * 3
SIDEBAR = (
    "Справка. Рейтинг эмитента по национальной шкале: ruA+, прогноз стабильный. "
    "Рейтинг подтверждён в марте 2026 года."
)
ITEMS = ["1. Кредитный портфель вырос.", "2. Просрочка снизилась."]


def test_a_sidebar_is_read_apart_from_the_body_and_numbers_do_not_break_sentences(
    tmp_path: Path,
) -> None:
    # Prose in a column of 110 mm, a shaded box of notes beside it, a numbered list under.
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=10)
    pdf.set_xy(20, 30)
    pdf.multi_cell(110, 5.5, BODY.strip())
    for item in ITEMS:
        pdf.set_x(20)
        pdf.multi_cell(110, 5.5, item)
    pdf.set_fill_color(230, 230, 230)
    pdf.rect(140, 60, 50, 50, style="F")
    pdf.set_font("dejavu", size=9)
    pdf.set_xy(142, 62)
    pdf.multi_cell(46, 4.5, SIDEBAR)
    born = tmp_path / "sidebar.pdf"
    pdf.output(str(born))
    scan = corpus.scanned(born.read_bytes(), tmp_path / "sidebar-scan.pdf")
    for doc in (
        ocrkit.ocr(born, route="text", cache_dir=tmp_path / "cache"),
        ocrkit.ocr(scan, engine="tesseract", layout="off", cache_dir=tmp_path / "cache"),
    ):
        paragraphs = [" ".join(p.split()) for p in doc.pages[0].text.split("\n\n")]
        # The body is one paragraph: its lines that open with a number ("с" | "2004 года",
        # "В" | "2025 году" where the column wraps) go on with its sentences.
        assert paragraphs[0] == " ".join(BODY.split()), paragraphs
        # The sidebar is one paragraph of its own, nothing of the body in it, and the body
        # has nothing of it; the numbered items stay lines of their own.
        assert SIDEBAR in paragraphs and ITEMS[0] in paragraphs and ITEMS[1] in paragraphs
        assert len(paragraphs) == 4, paragraphs


def test_a_wrapped_line_opening_with_a_date_or_an_amount_goes_on_numbered_items_do_not() -> None:
    def line(text: str, top: float, right: float = 180.0) -> Line:
        return Line(text, Box(20.0, top, right, top + 10), False, 0, size=10.0)

    full = line("Облигации размещаются по открытой подписке с даты начала торгов", 100)
    for opening, goes_on in [
        ("15.03.2026 г. на Московской бирже.", True),
        ("2004 года.", True),
        ("1 000 рублей каждая.", True),
        ("1. Общие сведения о выпуске", False),
        ("2) порядок погашения", False),
        ("3.1 Условия размещения", False),
    ]:
        assert _continues(full, line(opening, 112, 120), 10, 2, 180) is goes_on, opening
