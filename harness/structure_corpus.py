"""The structure corpus: Russian financial pages made by code, each with the rules a reader of
its output checks (text present, page furniture absent, reading order, table cells beside
their neighbours and headings). One document of seven pages:

1. a ruled balance sheet (every cell boxed);
2. an unruled income statement (columns aligned, no lines);
3-4. a coupon schedule that continues on the next page under its repeated header;
5. two columns of text, with a sentence broken across lines;
6. a formula line between paragraphs;
7. a short closing page.

Every page has a running header, a footer and a page number. `build()` writes the
born-digital PDF; `scan()` the same pages printed and scanned (images only, 200 dpi grey).
Rules are `structure_rules.Rule`s, by page.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image

from harness.structure_rules import Absent, Order, Present, Rule, TableCell

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
HEADER = "ПАО «Северный инвестиционный банк» · Годовой отчёт за 2025 год"
FOOTER = "Конфиденциально · для владельцев облигаций серии БО-07"
PAGES = 7

BALANCE = [
    ["Показатель", "Код", "На 31.12.2025", "На 31.12.2024"],
    ["Нематериальные активы", "1110", "1 234 567", "1 100 200"],
    ["Основные средства", "1150", "45 678 901", "44 001 120"],
    ["Финансовые вложения", "1170", "(12 345)", "8 765"],
    ["Запасы", "1210", "3 210 000", "2 987 650"],
    ["Итого по разделу I", "1100", "50 111 123", "48 097 735"],
]
INCOME = [
    ["Наименование", "Код", "2025", "2024"],
    ["Выручка", "2110", "98 765 432", "87 654 321"],
    ["Себестоимость продаж", "2120", "(61 234 000)", "(55 120 450)"],
    ["Валовая прибыль", "2100", "37 531 432", "32 533 871"],
    ["Рентабельность продаж", "2200", "12,75%", "11,40%"],
]
SCHEDULE_HEAD = ["№ купона", "Дата выплаты", "Ставка", "Сумма, руб."]
SCHEDULE = [
    [str(n), f"{(n * 7) % 28 + 1:02d}.{(n % 12) + 1:02d}.{2026 + n // 4}", "14,25%", "35,53"]
    for n in range(1, 41)
]
ON_FIRST = 24  # schedule rows on page 3; the rest continue on page 4
LEFT = [
    "Левая колонка. Банк размещает облигации серии БО-07 номинальной стоимостью 1 000 "
    "рублей каждая, со сроком обращения пять лет.",
    "Процентная ставка по первому купону определяется по итогам сбора заявок и "
    "составляет 12,75% годовых.",
]
RIGHT = [
    "Правая колонка. Погашение облигаций производится в дату окончания срока их "
    "обращения по номинальной стоимости.",
    "Досрочное погашение возможно по требованию владельцев в случаях, установленных "
    "эмиссионными документами.",
]
FORMULA = "НКД = N × C × (T − T0) / 365"
CLOSING = "Настоящий отчёт утверждён советом директоров 15 марта 2026 года."


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 20, 20)
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_font("dejavu", style="B", fname=BOLD)
    return pdf


def _furniture(pdf: FPDF, number: int) -> None:
    pdf.set_font("dejavu", size=8)
    pdf.set_xy(20, 8)
    pdf.cell(170, 5, HEADER, align="C")
    pdf.set_xy(20, 282)
    pdf.cell(140, 5, FOOTER)
    pdf.set_xy(160, 282)
    pdf.cell(30, 5, f"Стр. {number} из {PAGES}", align="R")


def _title(pdf: FPDF, text: str, y: float = 22) -> None:
    pdf.set_font("dejavu", "B", 13)
    pdf.set_xy(20, y)
    pdf.cell(170, 8, text)


def _para(pdf: FPDF, text: str, x: float, y: float, w: float) -> float:
    pdf.set_font("dejavu", size=10)
    pdf.set_xy(x, y)
    pdf.multi_cell(w, 5.5, text)
    return pdf.get_y()


def _ruled(pdf: FPDF, rows: list[list[str]], y: float, widths: tuple[float, ...]) -> float:
    pdf.set_y(y)
    pdf.set_font("dejavu", size=9)
    with pdf.table(col_widths=widths, text_align=("LEFT", "CENTER", "RIGHT", "RIGHT")) as t:
        for row in rows:
            r = t.row()
            for cell in row:
                r.cell(cell)
    return pdf.get_y()


def _aligned(pdf: FPDF, rows: list[list[str]], y: float) -> float:
    """Columns by position only: no lines, numbers right-aligned."""
    xs = ((20, 80, "L"), (100, 20, "C"), (120, 35, "R"), (155, 35, "R"))
    for i, row in enumerate(rows):
        pdf.set_font("dejavu", "B" if i == 0 else "", 9)
        for (x, w, align), cell in zip(xs, row, strict=True):
            pdf.set_xy(x, y)
            pdf.cell(w, 6, cell, align=align)
        y += 7
    return y


def _draw(pdf: FPDF) -> None:
    # 1: ruled balance sheet
    pdf.add_page()
    _furniture(pdf, 1)
    _title(pdf, "Бухгалтерский баланс на 31 декабря 2025 г.")
    y = _ruled(pdf, BALANCE, 34, (70, 20, 40, 40))
    _para(pdf, "Данные приведены в тысячах рублей без учёта отложенных налогов.", 20, y + 6, 170)
    # 2: unruled income statement
    pdf.add_page()
    _furniture(pdf, 2)
    _title(pdf, "Отчёт о финансовых результатах за 2025 г.")
    y = _aligned(pdf, INCOME, 36)
    _para(pdf, "Выручка выросла за счёт расширения кредитного портфеля.", 20, y + 6, 170)
    # 3-4: coupon schedule continued
    pdf.add_page()
    _furniture(pdf, 3)
    _title(pdf, "График выплаты купонного дохода")
    _ruled(pdf, [SCHEDULE_HEAD, *SCHEDULE[:ON_FIRST]], 34, (30, 50, 40, 50))
    pdf.add_page()
    _furniture(pdf, 4)
    y = _ruled(pdf, [SCHEDULE_HEAD, *SCHEDULE[ON_FIRST:]], 22, (30, 50, 40, 50))
    _para(pdf, "Выплата купонного дохода производится в рублях.", 20, y + 6, 170)
    # 5: two columns
    pdf.add_page()
    _furniture(pdf, 5)
    _title(pdf, "Условия выпуска")
    y = 34.0
    for text in LEFT:
        y = _para(pdf, text, 20, y, 80) + 3
    y = 34.0
    for text in RIGHT:
        y = _para(pdf, text, 110, y, 80) + 3
    # 6: a formula between paragraphs
    pdf.add_page()
    _furniture(pdf, 6)
    _title(pdf, "Расчёт накопленного купонного дохода")
    y = _para(pdf, "Накопленный купонный доход рассчитывается по формуле:", 20, 34, 170)
    pdf.set_font("dejavu", size=11)
    pdf.set_xy(20, y + 4)
    pdf.cell(170, 7, FORMULA, align="C")
    _para(pdf, "где N — номинал облигации, C — ставка купона.", 20, y + 16, 170)
    # 7: closing
    pdf.add_page()
    _furniture(pdf, 7)
    _para(pdf, CLOSING, 20, 34, 170)


def build(path: Path) -> Path:
    """The born-digital document."""
    pdf = _pdf()
    _draw(pdf)
    pdf.output(str(path))
    return path


def scan(path: Path, *, dpi: int = 200) -> Path:
    """The same pages printed and scanned: grey images, no text layer."""
    pdf = _pdf()
    _draw(pdf)
    return scanned(bytes(pdf.output()), path, dpi=dpi)


def scanned(pdf: bytes, path: Path, *, dpi: int = 200) -> Path:
    """Any PDF's pages printed and scanned: grey images, no text layer."""
    source = pdfium.PdfDocument(pdf)
    out = _pdf()
    for page in source:
        image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        out.add_page()
        out.image(buf, x=0, y=0, w=210, h=297)
    source.close()
    out.output(str(path))
    return path


def _table_rules(rows: list[list[str]], page: int, picks: list[tuple[int, int]]) -> list[Rule]:
    rules: list[Rule] = []
    for r, c in picks:
        rules.append(
            TableCell(
                page=page,
                cell=rows[r][c],
                up=rows[r - 1][c] if r > 0 else None,
                down=rows[r + 1][c] if r + 1 < len(rows) else None,
                left=rows[r][c - 1] if c > 0 else None,
                right=rows[r][c + 1] if c + 1 < len(rows[r]) else None,
                top_heading=rows[0][c],
                left_heading=rows[r][0],
            )
        )
    return rules


def rules() -> list[Rule]:
    """Every rule of the document, by page (1-based)."""
    out: list[Rule] = []
    for page in range(1, PAGES + 1):
        out += [
            Absent(page=page, text=HEADER),
            Absent(page=page, text=FOOTER),
            Absent(page=page, text=f"Стр. {page} из {PAGES}"),
        ]
    # 1: ruled balance sheet
    out += [
        Present(page=1, text="Бухгалтерский баланс на 31 декабря 2025 г."),
        Present(page=1, text="Данные приведены в тысячах рублей без учёта отложенных налогов."),
        Order(
            page=1,
            before="Бухгалтерский баланс на 31 декабря 2025 г.",
            after="Данные приведены в тысячах рублей",
        ),
        *_table_rules(BALANCE, 1, [(1, 2), (2, 3), (3, 2), (4, 1), (5, 3)]),
    ]
    # 2: unruled income statement
    out += [
        Present(page=2, text="Выручка выросла за счёт расширения кредитного портфеля."),
        *_table_rules(INCOME, 2, [(1, 2), (2, 3), (3, 2), (4, 2), (4, 3)]),
    ]
    # 3-4: the schedule, each page's part with the repeated header
    first = [SCHEDULE_HEAD, *SCHEDULE[:ON_FIRST]]
    second = [SCHEDULE_HEAD, *SCHEDULE[ON_FIRST:]]
    out += _table_rules(first, 3, [(1, 1), (12, 3), (ON_FIRST, 1)])
    out += _table_rules(second, 4, [(1, 1), (8, 2), (len(second) - 1, 1)])
    out.append(Present(page=4, text="Выплата купонного дохода производится в рублях."))
    # 5: two columns read column by column; the broken sentence joined
    out += [
        Present(page=5, text=LEFT[0]),
        Present(page=5, text=RIGHT[1]),
        Present(page=5, text="определяется по итогам сбора заявок и составляет 12,75% годовых"),
        Order(page=5, before=LEFT[1][-30:], after=RIGHT[0][:30]),
        Order(page=5, before=LEFT[0][-30:], after=LEFT[1][:30]),
        Order(page=5, before=RIGHT[0][-30:], after=RIGHT[1][:30]),
    ]
    # 6: the formula in its place
    out += [
        Present(page=6, text=FORMULA),
        Order(page=6, before="рассчитывается по формуле:", after=FORMULA),
        Order(page=6, before=FORMULA, after="где N — номинал облигации"),
    ]
    out.append(Present(page=7, text=CLOSING))
    return out


def ground_truth() -> dict[int, str]:
    """Each page as a perfect reader would write it (Markdown): every rule passes on it."""

    def md(rows: list[list[str]]) -> str:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return "\n".join(lines)

    return {
        1: "# Бухгалтерский баланс на 31 декабря 2025 г.\n\n"
        + md(BALANCE)
        + "\n\nДанные приведены в тысячах рублей без учёта отложенных налогов.",
        2: "# Отчёт о финансовых результатах за 2025 г.\n\n"
        + md(INCOME)
        + "\n\nВыручка выросла за счёт расширения кредитного портфеля.",
        3: "# График выплаты купонного дохода\n\n" + md([SCHEDULE_HEAD, *SCHEDULE[:ON_FIRST]]),
        4: md([SCHEDULE_HEAD, *SCHEDULE[ON_FIRST:]])
        + "\n\nВыплата купонного дохода производится в рублях.",
        5: "# Условия выпуска\n\n" + "\n\n".join(LEFT + RIGHT),
        6: "# Расчёт накопленного купонного дохода\n\n"
        "Накопленный купонный доход рассчитывается по формуле:\n\n"
        + FORMULA
        + "\n\nгде N — номинал облигации, C — ставка купона.",
        7: CLOSING,
    }


def page_image(path: Path, page: int, dpi: int = 100) -> Image.Image:
    doc = pdfium.PdfDocument(str(path))
    try:
        return doc[page - 1].render(scale=dpi / 72).to_pil()
    finally:
        doc.close()
