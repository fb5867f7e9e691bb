"""Ruled tables on born-digital pages come out as tables: Markdown in the text, at their
place, and a `table` block with its cells in the JSON; numbers exactly as printed."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

import ocrkit
from harness import structure_corpus as corpus
from harness.cli import SAMPLE
from harness.fakes import FONT
from harness.structure_rules import TableCell


def test_ruled_tables_pass_every_cell_rule_and_keep_their_cells(tmp_path: Path) -> None:
    pdf = corpus.build(tmp_path / "report.pdf")
    doc = ocrkit.ocr(pdf, route="text", cache_dir=tmp_path / "cache")
    pages = {p.page: p.text for p in doc.pages}
    ruled = [r for r in corpus.rules() if isinstance(r, TableCell) and r.page in (1, 3, 4)]
    assert ruled and all(r.check(pages[r.page]) for r in ruled), [
        r for r in ruled if not r.check(pages[r.page])
    ]
    first = doc.pages[0]
    text = first.text
    # In its place: after the title, before the note under the table.
    assert (
        text.index("Бухгалтерский баланс")
        < text.index("| Показатель |")
        < text.index("Данные приведены")
    )
    (block,) = [b for b in first.blocks or [] if b.type == "table"]
    assert block.type == "table" and block.content.startswith("| Показатель | Код |")
    cells = block.metadata["cells"]
    assert len(cells) == len(corpus.BALANCE) * 4
    cell = next(c for c in cells if c["text"] == "(12 345)")
    assert (cell["row"], cell["col"], cell["rowspan"], cell["colspan"]) == (3, 2, 1, 1)
    x0, top, x1, bottom = cell["bbox"]
    assert block.bbox is not None
    assert block.bbox.x0 <= x0 < x1 <= block.bbox.x1 and block.bbox.y0 <= top < bottom
    assert first.image_size == (595, 842)  # the boxes are in PDF points of this page


def test_pages_without_drawings_are_read_as_before(tmp_path: Path) -> None:
    doc = ocrkit.ocr(SAMPLE, route="text", cache_dir=tmp_path / "cache")
    assert all("|---|" not in p.text for p in doc.pages)
    assert all(b.type != "table" for p in doc.pages for b in p.blocks or [])


def _tables(doc: ocrkit.Document) -> dict[int, list[dict]]:
    return {p.page: [b.metadata for b in p.blocks or [] if b.type == "table"] for p in doc.pages}


def test_a_table_continued_on_the_next_page_says_so(tmp_path: Path) -> None:
    pdf = corpus.build(tmp_path / "report.pdf")
    tables = _tables(ocrkit.ocr(pdf, route="text", cache_dir=tmp_path / "cache"))
    (schedule,) = tables[4]
    assert schedule["continues_from_page"] == 3 and schedule["repeated_header"] is True
    assert all("continues_from_page" not in t for page in (1, 3) for t in tables[page])
    # Asked for alone, page 4 still knows where its table began.
    alone = _tables(ocrkit.ocr(pdf, route="text", pages="4", cache_dir=tmp_path / "c2"))
    assert alone[4][0]["continues_from_page"] == 3


def test_a_new_table_after_a_table_is_not_a_continuation(tmp_path: Path) -> None:
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_font("dejavu", style="B", fname=FONT.replace("DejaVuSans", "DejaVuSans-Bold"))
    pdf.set_font("dejavu", size=10)
    layouts = [
        (("Показатель", "2025"), (90, 40)),
        (("Серия", "Объём", "Ставка"), (40, 50, 40)),
    ]
    for head, widths in layouts:
        pdf.add_page()
        pdf.set_y(40)
        with pdf.table(col_widths=widths) as table:
            for r in range(4):
                row = table.row()
                for c, name in enumerate(head):
                    row.cell(name if r == 0 else f"{name[:3]} {r}{c}")
    path = tmp_path / "two.pdf"
    pdf.output(str(path))
    tables = _tables(ocrkit.ocr(path, route="text", cache_dir=tmp_path / "cache"))
    assert len(tables[1]) == len(tables[2]) == 1
    assert "continues_from_page" not in tables[2][0]


def test_a_table_set_without_rules_passes_its_cell_rules(tmp_path: Path) -> None:
    pdf = corpus.build(tmp_path / "report.pdf")
    (page,) = ocrkit.ocr(pdf, route="text", pages="2", cache_dir=tmp_path / "cache").pages
    rules = [r for r in corpus.rules() if isinstance(r, TableCell) and r.page == 2]
    assert len(rules) == 5 and all(r.check(page.text) for r in rules), page.text
    (block,) = [b for b in page.blocks or [] if b.type == "table"]
    assert {c["text"] for c in block.metadata["cells"]} >= {"12,75%", "(61 234 000)"}


def test_runs_of_text_that_do_not_line_up_are_not_a_table(tmp_path: Path) -> None:
    """Wide gaps with numbers on consecutive lines, as in loosely set prose or a form: no
    column lines up on its left, right or centre, so no table."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=10)
    pdf.add_page()
    for i in range(5):
        for x, text in (
            (20 + 3 * i, f"Купон {i + 1}"),
            (70 + 11 * i, f"{1000 + 37 * i} руб."),
            (140 - 9 * i, f"{12 + i},5%"),
        ):
            pdf.set_xy(x, 40 + 7 * i)
            pdf.cell(30, 6, text)
    path = tmp_path / "loose.pdf"
    pdf.output(str(path))
    (page,) = ocrkit.ocr(path, route="text", cache_dir=tmp_path / "cache").pages
    assert "|---|" not in page.text and not [b for b in page.blocks or [] if b.type == "table"]
    assert "Купон 3" in page.text


def test_merged_cells_of_a_ruled_table_come_out_as_html_with_their_spans(tmp_path: Path) -> None:
    # | Показатель (2 rows) | Период (2 columns)    |
    # |                     | 2025      | 2024      |
    # | Выручка             | 1 234 567 | 1 100 000 |
    # | Прибыль             | (12 345)  | 98 765    |
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=10)
    x, y, w, h = 20.0, 30.0, (60.0, 40.0, 40.0), 8.0
    cols = [x, x + w[0], x + w[0] + w[1], x + sum(w)]

    def box(text: str, c0: int, c1: int, r0: int, r1: int) -> None:
        pdf.rect(cols[c0], y + r0 * h, cols[c1] - cols[c0], (r1 - r0) * h)
        pdf.text(cols[c0] + 2, y + r0 * h + 5.5, text)

    box("Показатель", 0, 1, 0, 2)
    box("Период", 1, 3, 0, 1)
    box("2025", 1, 2, 1, 2)
    box("2024", 2, 3, 1, 2)
    for r, row in enumerate(
        [["Выручка", "1 234 567", "1 100 000"], ["Прибыль", "(12 345)", "98 765"]]
    ):
        for c, text in enumerate(row):
            box(text, c, c + 1, r + 2, r + 3)
    pdf.output(str(tmp_path / "merged.pdf"))

    page = ocrkit.ocr(tmp_path / "merged.pdf", route="text", cache_dir=tmp_path / "c").pages[0]
    (block,) = [b for b in page.blocks or [] if b.type == "table"]
    spans = {
        c["text"]: (c["row"], c["col"], c["rowspan"], c["colspan"]) for c in block.metadata["cells"]
    }
    assert spans["Показатель"] == (0, 0, 2, 1)
    assert spans["Период"] == (0, 1, 1, 2)
    assert spans["2024"] == (1, 2, 1, 1) and spans["(12 345)"] == (3, 1, 1, 1)
    assert '<td rowspan="2">Показатель</td><td colspan="2">Период</td>' in block.content
    assert "<td>1 234 567</td><td>1 100 000</td>" in page.text


def test_a_table_without_rules_keeps_its_header_and_its_section_rows(tmp_path: Path) -> None:
    """A payments table as a report sets it: no rules, a header of two lines over the figure
    columns (its pieces written in any order), region rows between the country rows."""
    from ocrkit.pdf.document import PdfFile
    from ocrkit.structure.tables import aligned_tables

    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=9)
    pdf.add_page()

    def put(x: float, y: float, text: str) -> None:
        pdf.set_xy(x, y)
        pdf.cell(30, 5, text, align="R" if x > 40 else "L")

    pdf.set_xy(20, 20)
    pdf.cell(170, 5, "Платежи государствам за 2025 год (в рублях)")
    for x, (top, bottom) in zip(
        (20, 70, 110, 150),
        [("", "Страна"), ("Налоги", "на прибыль"), ("", "Роялти"), ("", "Итого")],
        strict=True,
    ):
        put(x, 32, top)
        put(x, 37, bottom)
    y = 45
    for region, countries in (
        (
            "Европа",
            [("Италия", "1 200 300", "–", "1 200 300"), ("Норвегия", "45 000", "12 500", "57 500")],
        ),
        ("Азия", [("Индия", "–", "8 100", "8 100"), ("Оман", "2 221 244", "400", "2 221 644")]),
    ):
        put(20, y, region)
        y += 6
        for country, *figures in countries:
            for x, text in zip((20, 70, 110, 150), (country, *figures), strict=True):
                put(x, y, text)
            y += 6
    path = tmp_path / "payments.pdf"
    pdf.output(str(path))
    reader = PdfFile(path)
    (table,) = aligned_tables(reader.layer(1).lines)
    reader.close()
    assert table.rows[0] == ["Страна", "Налоги на прибыль", "Роялти", "Итого"]
    assert table.rows[1] == ["Европа", "", "", ""] and table.rows[4] == ["Азия", "", "", ""]
    assert table.rows[-1] == ["Оман", "2 221 244", "400", "2 221 644"]
    assert all("Платежи" not in cell for row in table.rows for cell in row)  # the title stays out


def _read_table(pdf: FPDF, path: Path) -> tuple[ocrkit.PageResult, dict[tuple[int, int], str]]:
    """`pdf` saved at `path` and read on the text route: its page, and the cells of its one
    table by (row, column)."""
    pdf.output(str(path))
    (page,) = ocrkit.ocr(path, route="text", cache_dir=path.parent / "cache").pages
    (table,) = [b for b in page.blocks or [] if b.type == "table"]
    return page, {(c["row"], c["col"]): c["text"] for c in table.metadata["cells"]}


def test_a_check_box_table_is_a_table_and_its_boxes_make_no_headings(tmp_path: Path) -> None:
    """A questionnaire's table: bullet, label, and a check box under each of two column
    heads (one of two lines), no number anywhere; the boxes are set larger than the text,
    and a line that starts with one is no heading."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_page()

    def put(x: float, y: float, text: str, size: float = 9) -> None:
        pdf.set_font("dejavu", size=size)
        pdf.set_xy(x, y)
        pdf.cell(60, 5, text)

    put(20, 20, "28. To whom are these services provided? (Please select all that apply)")
    for y in range(30, 70, 6):  # paragraphs that set the page's usual size
        put(20, y, "Legal aid is given by State-funded providers and by civil society groups.")
    put(20, 80, "☐", size=13)
    put(26, 80, "Other (please specify) ____________")
    put(120, 90, "State funded")
    put(120, 94, "legal aid")
    put(150, 94, "CSOs")
    groups = ["Persons with disabilities", "Children", "Women", "Migrants"]
    for i, group in enumerate(groups):
        y = 102 + 7 * i
        put(20, y, "•")
        put(26, y, group)
        put(124, y, "☐", size=13)
        put(152, y, "☐", size=13)
    page, cells = _read_table(pdf, tmp_path / "questionnaire.pdf")
    assert cells[(0, 2)] == "State funded legal aid" and cells[(0, 3)] == "CSOs"
    assert [cells[(r, 1)] for r in range(1, 5)] == groups
    assert cells[(1, 2)] == cells[(4, 3)] == "☐"
    assert "#" not in page.text  # no line here is a heading


def test_a_column_head_set_on_its_side_reads_upwards(tmp_path: Path) -> None:
    """Narrow columns' heads turned anticlockwise, as reports set them: read bottom to top
    ("*JOBCTL", not "LTCBOJ*")."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=9)
    pdf.add_page()
    columns, rows = [20, 100, 115, 130], [15, 60, 68, 76]
    for y in rows:
        pdf.line(columns[0], y, columns[-1], y)
    for x in columns:
        pdf.line(x, rows[0], x, rows[-1])
    pdf.text(22, 56, "User action")
    for x, head in zip((109, 124), ("*JOBCTL", "QIBM_DB_SECADM"), strict=True):
        with pdf.rotation(90, x, 58):
            pdf.text(x, 58, head)
    for r, action in enumerate(("Set a job's priority", "End a job")):
        pdf.text(22, rows[1] + 5 + 8 * r, action)
        pdf.text(106, rows[1] + 5 + 8 * r, "X")
    _, cells = _read_table(pdf, tmp_path / "sideways.pdf")
    assert [cells[(0, c)] for c in range(3)] == ["User action", "*JOBCTL", "QIBM_DB_SECADM"]


def test_no_word_of_a_ruled_table_is_lost_where_its_rules_are_missing(tmp_path: Path) -> None:
    """A spreadsheet printed to PDF: the months' heads over merged cells, the last one
    cut at the sheet's edge (no rule closes it); the rows under the total have no rule at
    their left, and their labels run into the next column. Every word stays, whole, in the
    slot where it starts."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=9)
    pdf.add_page()
    xs, ys = [20, 50, 80, 110, 140], [20, 28, 36, 44, 52, 60]
    for y in ys[:4]:
        pdf.line(xs[0], y, xs[-1], y)
    for y in ys[4:]:
        pdf.line(xs[1], y, xs[-1], y)  # no rule under the labels' column down here
    for x in xs:
        top = ys[1] if x in (xs[2], xs[4]) else ys[0]  # months merge two columns; the last is open
        bottom = ys[-1] if x != xs[0] else ys[3]
        if x != xs[-1] or top == ys[1]:
            pdf.line(x, top, x, bottom)
    pdf.line(xs[-1], ys[1], xs[-1], ys[-1])
    for x, text in ((52, "Январь"), (112, "Март")):
        pdf.text(x, ys[0] + 5, text)
    for r, label in enumerate(("Вид услуги", "Итого")):
        pdf.text(22, ys[1 + r] + 5, label)
        for c, figure in enumerate(("1 238", "1 006", "1 191")):
            pdf.text(xs[1 + c] + 2, ys[1 + r] + 5, figure)
    pdf.text(22, ys[3] + 5, "Юрист Услуги")  # runs past xs[1]
    pdf.text(xs[3] + 2, ys[3] + 5, "25 000")
    pdf.text(22, ys[4] + 5, "Госпошлина")
    page, cells = _read_table(pdf, tmp_path / "sheet.pdf")
    texts = set(cells.values())
    assert {"Январь", "Март", "Юрист Услуги", "Госпошлина", "25 000"} <= texts, cells
    assert not any(t.startswith(("слуги", "луги", "уги")) for t in texts)
    for word in ("Январь", "Март", "Юрист", "Услуги", "Госпошлина", "Итого"):
        assert page.text.count(word) == 1, word


def test_a_right_to_left_tables_cells_read_as_written(tmp_path: Path) -> None:
    """A Persian report's ruled table: the PDF places each line's letters right to left
    (the first letter rightmost); its cells read as written, numbers and dates left to
    right inside them; a cell in English keeps its order, its Persian word turned."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=10)
    pdf.add_page()
    xs, ys = [20, 70, 150], [20, 30, 40, 50]
    for y in ys:
        pdf.line(xs[0], y, xs[-1], y)
    for x in xs:
        pdf.line(x, ys[0], x, ys[-1])
    rows = [("20300", "شماره استاندارد ملی"), ("1403/09/19", "تاریخ ارائه مدارک")]
    for r, (value, label) in enumerate(rows):
        pdf.text(22, ys[r] + 7, value)
        pdf.text(80, ys[r] + 7, label[::-1])  # as placed on the page: last letter leftmost
    pdf.text(22, ys[2] + 7, "1403/10/04 " + "تاریخ"[::-1])  # a date left of a word
    pdf.text(80, ys[2] + 7, "Total amount " + "مجموع"[::-1])  # English, one Persian word
    _, cells = _read_table(pdf, tmp_path / "rtl.pdf")
    assert cells[(0, 1)] == "شماره استاندارد ملی" and cells[(1, 1)] == "تاریخ ارائه مدارک"
    assert cells[(0, 0)] == "20300" and cells[(1, 0)] == "1403/09/19"
    assert cells[(2, 0)] == "تاریخ 1403/10/04"
    assert cells[(2, 1)] == "Total amount مجموع"


def _grid_in_a_form(path: Path) -> Path:
    """A 3x3 grid drawn as one path inside a Form XObject (its own /Matrix, placed on the
    page by a `cm`), with each cell's text set on the page itself, where the grid lands."""
    import pikepdf

    pdf = pikepdf.new()
    rules = b"0.5 w "
    rules += b"".join(b"0 %d m 300 %d l " % (y, y) for y in (0, 20, 40, 60))
    rules += b"".join(b"%d 0 m %d 60 l " % (x, x) for x in (0, 100, 200, 300)) + b"S"
    form = pikepdf.Stream(pdf, rules)
    form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    form.BBox, form.Matrix = [0, 0, 300, 60], [1, 0, 0, 1, 10, 5]
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(Grid=form), Font=pikepdf.Dictionary(F1=font)
    )
    # The grid lands at x 110..410, y 605..665 (PDF space): rows from the top.
    cells = [["Item", "2021", "2022"], ["Revenue", "1 200", "1 350"], ["Costs", "(800)", "(910)"]]
    text = b"".join(
        b"BT /F1 10 Tf %d %d Td (%s) Tj ET " % (115 + 100 * c, 651 - 20 * r, cell.encode())
        for r, row in enumerate(cells)
        for c, cell in enumerate(row)
    )
    intro = b"BT /F1 12 Tf 110 700 Td (Statement of results) Tj ET "
    page.Contents = pikepdf.Stream(pdf, intro + b"q 1 0 0 1 100 600 cm /Grid Do Q " + text)
    pdf.save(path)
    return path


def test_a_grid_drawn_in_a_form_xobject_is_read_where_it_lands(tmp_path: Path) -> None:
    # PDFium gives a form's objects in the form's own space: the rules are put on the page
    # through the form's matrix, or they would stand 100 points left of the text.
    pdf = _grid_in_a_form(tmp_path / "form.pdf")
    doc = ocrkit.ocr(pdf, route="text", cache_dir=tmp_path / "cache")
    (page,) = doc.pages
    (block,) = [b for b in page.blocks or [] if b.type == "table"]
    cells = {(c["row"], c["col"]): c["text"] for c in block.metadata["cells"]}
    assert cells == {
        (0, 0): "Item", (0, 1): "2021", (0, 2): "2022",
        (1, 0): "Revenue", (1, 1): "1 200", (1, 2): "1 350",
        (2, 0): "Costs", (2, 1): "(800)", (2, 2): "(910)",
    }  # fmt: skip
    assert block.bbox is not None
    box = (block.bbox.x0, block.bbox.y0, block.bbox.x1, block.bbox.y1)
    assert [round(v) for v in box] == [110, 842 - 665, 410, 842 - 605]
    assert page.text.index("Statement of results") < page.text.index("| Item | 2021 | 2022 |")


def test_a_table_on_a_page_turned_by_rotate_reads_as_shown(tmp_path: Path) -> None:
    """A landscape table drawn on a portrait page that /Rotate 90 turns (as a report's wide
    tables often are): its rules and letters are placed in the page's own space, sideways;
    it reads as shown, upright, with boxes on the page as it is shown."""
    import pikepdf

    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Rotate = 90
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    # Shown 842 wide and 595 high; a point (X, Y) shown (from the top left) is (Y, X) in
    # the page's own space, and text runs up its y axis.
    xs, ys = [100, 300, 500, 700], [100, 130, 160, 190]
    rules = b"0.5 w "
    rules += b"".join(b"%d %d m %d %d l " % (y, xs[0], y, xs[-1]) for y in ys)
    rules += b"".join(b"%d %d m %d %d l " % (ys[0], x, ys[-1], x) for x in xs) + b"S "
    cells = [["Item", "2021", "2022"], ["Revenue", "1 200", "1 350"], ["Costs", "(800)", "(910)"]]
    text = b"".join(
        b"BT /F1 10 Tf 0 1 -1 0 %d %d Tm (%s) Tj ET " % (ys[r] + 20, xs[c] + 5, cell.encode())
        for r, row in enumerate(cells)
        for c, cell in enumerate(row)
    )
    title = b"BT /F1 12 Tf 0 1 -1 0 70 100 Tm (Results by year) Tj ET "
    page.Contents = pikepdf.Stream(pdf, title + rules + text)
    path = tmp_path / "turned.pdf"
    pdf.save(path)

    doc = ocrkit.ocr(path, route="text", cache_dir=tmp_path / "cache")
    (result,) = doc.pages
    assert result.image_size == (842, 595)
    (block,) = [b for b in result.blocks or [] if b.type == "table"]
    got = {(c["row"], c["col"]): c["text"] for c in block.metadata["cells"]}
    assert got == {(r, c): cell for r, row in enumerate(cells) for c, cell in enumerate(row)}
    assert block.bbox is not None
    box = (block.bbox.x0, block.bbox.y0, block.bbox.x1, block.bbox.y1)
    assert [round(v) for v in box] == [100, 100, 700, 190]
    assert result.text.index("Results by year") < result.text.index("| Item | 2021 | 2022 |")


def test_rows_a_statement_rules_in_columns_only_come_out_as_rows(tmp_path: Path) -> None:
    """A municipal statement ruled in columns, with a rule under its head and at its foot
    only: each numbered line is a row of its own, a label wrapped onto two lines stays in
    the row of the figures set beside it (Rödermark's Gesamtergebnisrechnung)."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=9)
    pdf.add_page()
    xs = [20, 35, 120, 160, 200]
    top, head, step = 30.0, 37.0, 5.0
    wrapped = ["Bestandsveränderungen und aktivierte", "Eigenleistungen"]
    rows = [  # (lines of the label, position, figures): figures on the label's middle
        (["Privatrechtliche Leistungsentgelte"], "10", ("-3.454.630,87", "-3.468.194,71")),
        (wrapped, "40", ("-13.278,58", "-8.986,50")),
        (["Erträge aus Transferleistungen"], "60", ("-1.272.599,00", "-1.312.522,35")),
    ]
    y = head + step
    for label, pos, figures in rows:
        middle = y + step * (len(label) - 1) / 2
        pdf.text(xs[0] + 2, middle, pos)
        for i, line in enumerate(label):
            pdf.text(xs[1] + 2, y + step * i, line)
        for x, figure in zip(xs[2:4], figures, strict=True):
            pdf.text(x + 2, middle, figure)
        y += step * len(label) + 1
    for i, text in enumerate(["Pos.", "Bezeichnung", "2021", "2022"]):
        pdf.text(xs[i] + 2, top + 5, text)
    for line_y in (top, head, y):
        pdf.line(xs[0], line_y, xs[-1], line_y)
    for x in xs:
        pdf.line(x, top, x, y)
    _, cells = _read_table(pdf, tmp_path / "statement.pdf")
    assert [[cells[(r, c)] for c in range(4)] for r in range(4)] == [
        ["Pos.", "Bezeichnung", "2021", "2022"],
        ["10", "Privatrechtliche Leistungsentgelte", "-3.454.630,87", "-3.468.194,71"],
        ["40", "Bestandsveränderungen und aktivierte Eigenleistungen", "-13.278,58", "-8.986,50"],
        ["60", "Erträge aus Transferleistungen", "-1.272.599,00", "-1.312.522,35"],
    ]


def _one_object_rows(path: Path) -> Path:
    """A small statement whose every row is one text object, its columns reached by
    kerning (as Word sets tab stops; Rödermark's report), under a justified paragraph
    with figures whose spaces are all stretched (word spacing `Tw`)."""
    import pikepdf

    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Courier
    )
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    size, glyph = 10, 6.0  # Courier: every glyph 0.6 em wide

    def row(y: int, pieces: list[tuple[int, str]]) -> bytes:
        """One TJ: each piece starts at its x, kerned there from the end of the one before."""
        parts, x = [], pieces[0][0]
        for at, text in pieces:
            if at > x:
                parts.append(b"%d" % round(-(at - x) * 1000 / size))
            parts.append(b"(" + text.encode("latin-1") + b")")
            x = at + glyph * len(text)
        body = b" ".join(parts)
        return b"BT /F1 %d Tf 0 Tw %d %d Td [%s] TJ ET " % (size, pieces[0][0], y, body)

    prose = [
        "In 2021 the town spent 1.200 euro on its parks and",
        "2.300 euro on its roads, which is 4.5 percent more",
        "than in 2020, when it spent 3.400 euro on both of",
        "them and 5.600 euro on its schools and libraries.",
    ]
    # Justified: each line's spaces stretched by 10 points, wider than a cell's gap test.
    content = b"".join(
        b"BT /F1 %d Tf 10 Tw 60 %d Td (%s) Tj ET " % (size, 760 - 14 * i, line.encode())
        for i, line in enumerate(prose)
    )
    content += row(680, [(330, "31.12.21"), (450, "31.12.22")])
    rows = [
        ("Stadt Roedermark ", "51.059.607,82", "53.389.392,00"),  # a space before the gap
        ("Kommunale Betriebe", "66.617.344,83", "65.676.218,69"),  # the gap kerned only
        ("Berufsakademie GmbH", "2.511.981,00", "2.485.587,00"),
    ]
    for i, (label, a, b) in enumerate(rows):
        # Figures set flush right at 410 and 530.
        pieces = [(60, label), (410 - round(glyph * len(a)), a), (530 - round(glyph * len(b)), b)]
        content += row(664 - 15 * i, pieces)
    page.Contents = pikepdf.Stream(pdf, content)
    pdf.save(path)
    return path


def test_rows_set_in_one_text_object_each_are_a_table_and_justified_prose_is_not(
    tmp_path: Path,
) -> None:
    pdf = _one_object_rows(tmp_path / "tabs.pdf")
    doc = ocrkit.ocr(pdf, route="text", cache_dir=tmp_path / "cache")
    (page,) = doc.pages
    (block,) = [b for b in page.blocks or [] if b.type == "table"]
    cells = {(c["row"], c["col"]): c["text"] for c in block.metadata["cells"]}
    assert [[cells.get((r, c), "") for c in range(3)] for r in range(4)] == [
        ["", "31.12.21", "31.12.22"],
        ["Stadt Roedermark", "51.059.607,82", "53.389.392,00"],
        ["Kommunale Betriebe", "66.617.344,83", "65.676.218,69"],
        ["Berufsakademie GmbH", "2.511.981,00", "2.485.587,00"],
    ]
    # The justified paragraph stays prose, every word of it in the text.
    assert "In 2021 the town spent 1.200 euro on its parks and" in page.text.replace("\n", " ")
    assert page.text.index("libraries.") < page.text.index("| Stadt Roedermark |")


def test_an_asset_schedule_ruled_under_its_subtotals_only_reads_row_by_row(
    tmp_path: Path,
) -> None:
    """An asset schedule (Rödermark's Anlagenspiegel): columns ruled, rules under the head
    across the page, rules under the subtotals in the figures' columns only, so the labels'
    column is one cell from the head to the foot; the head over the figures is set
    letter-spaced, a space after every letter and a wider gap between its words."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=8)
    pdf.add_page()
    xs = [20, 80, 120, 160]
    top, head, step = 30.0, 40.0, 5.0
    pdf.text(xs[1] + 2, top + 4, "B u c h w e r t e  z u m  J a h r e s e n d e")
    pdf.text(xs[1] + 2, top + 8.5, "2021")
    pdf.text(xs[2] + 2, top + 8.5, "2022")
    lines: list[tuple[str, tuple[str, str] | None]] = [
        ("", ("€", "€")),
        ("Sachanlagen", None),
        ("Grundstücke", ("41.379.115,76", "41.444.780,61")),
        ("Bauten", ("77.504.168,88", "78.007.397,83")),
        ("", ("118.883.284,64", "119.452.178,44")),  # a subtotal, ruled above and below
        ("Finanzanlagen", None),
        ("Beteiligungen", ("10.669.266,21", "10.669.266,21")),
        ("Sonstige Ausleihungen", ("697.720,02", "2.372.498,26")),
    ]
    y = head + step
    subtotal_rules = []
    for label, figures in lines:
        if label:
            pdf.text(xs[0] + 2, y, label)
        if figures:
            for x, figure in zip(xs[1:3], figures, strict=True):
                pdf.text(x + 2, y, figure)
        if label == "" and figures and figures[0] != "€":
            subtotal_rules += [y - step + 1.5, y + 1.5]
        y += step
    bottom = y
    pdf.line(xs[0], top, xs[-1], top)
    pdf.line(xs[1], top + 5, xs[-1], top + 5)  # under the letter-spaced head
    pdf.line(xs[0], head, xs[-1], head)
    for rule_y in subtotal_rules:
        pdf.line(xs[1], rule_y, xs[-1], rule_y)  # the figures' columns only
    pdf.line(xs[0], bottom, xs[-1], bottom)
    for x in xs:
        pdf.line(x, top + 5 if x == xs[2] else top, x, bottom)  # the head spans two
    result, cells = _read_table(pdf, tmp_path / "schedule.pdf")
    rows = {cells.get((r, 1), ""): r for r in range(20)}
    assert cells[(0, 1)] == "Buchwerte zum Jahresende"
    assert cells[(rows["41.379.115,76"], 0)].endswith("Grundstücke")
    assert cells[(rows["77.504.168,88"], 0)] == "Bauten"
    assert cells[(rows["77.504.168,88"], 2)] == "78.007.397,83"
    assert cells[(rows["118.883.284,64"], 0)] == ""
    assert cells[(rows["697.720,02"], 0)] == "Sonstige Ausleihungen"
    assert cells[(rows["697.720,02"], 2)] == "2.372.498,26"
    (table,) = [b for b in result.blocks or [] if b.type == "table"]
    labels = [c for c in table.metadata["cells"] if c["col"] == 0 and c["row"] > 1]
    assert all(c.get("rowspan", 1) == 1 for c in labels), labels


def test_double_rules_make_no_empty_columns_and_an_empty_column_to_fill_stays(
    tmp_path: Path,
) -> None:
    """A table ruled with hairline double rules (КТРК's annual reports): the slivers between
    a double rule's two lines are no columns or rows; an empty column as wide as text (a
    form's column to fill in) stays a column."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=9)
    pdf.add_page()
    xs = [20, 90, 120, 150, 180]  # the last column is left to fill in
    ys = [30, 37, 44, 51]
    rows = [
        ["Наименование", "2013", "2012", "Подпись"],
        ["Реклама", "70 326,10", "56 982,80", ""],
        ["Эфирное время", "39 677,70", "33 380,00", ""],
    ]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text:
                pdf.text(xs[c] + 2, ys[r] + 5, text)
    for y in ys:  # each rule drawn twice, 1.5 mm apart
        for dy in (0, 1.5):
            pdf.line(xs[0], y + dy, xs[-1], y + dy)
    for x in xs:
        for dx in (0, 1.5):
            pdf.line(x + dx, ys[0], x + dx, ys[-1] + 1.5)
    page, cells = _read_table(pdf, tmp_path / "double.pdf")
    assert [[cells.get((r, c), "") for c in range(4)] for r in range(3)] == rows
    (table,) = [b for b in page.blocks or [] if b.type == "table"]
    assert max(c["col"] for c in table.metadata["cells"]) == 3
    assert max(c["row"] for c in table.metadata["cells"]) == 2


def test_boxes_drawn_with_no_text_in_them_are_no_table(tmp_path: Path) -> None:
    """A logo's frame of two boxes, a drawing's panels: rules that cross as a grid's, with
    no text in any cell, make no (empty) table; the labels drawn between the boxes stay
    in the text."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_page()
    pdf.set_font("dejavu", size=10)
    for x in (120, 145):
        for y in (12, 22):
            pdf.rect(x, y, 25, 10)
    pdf.text(30, 20, "Back cover")
    for i in range(8):
        pdf.text(30, 50 + 6 * i, f"Line {i + 1} of the text under the boxes goes on here.")
    path = tmp_path / "boxes.pdf"
    pdf.output(str(path))
    (page,) = ocrkit.ocr(path, route="text", cache_dir=tmp_path / "cache").pages
    assert not [b for b in page.blocks or [] if b.type == "table"]
    assert "|" not in page.text and page.text.startswith("Back cover")


def _statement_pdf(path: Path) -> Path:
    """A balance sheet as the tax service's software prints it: no rules, a header of two
    lines over its columns, their numbers, a section row, labels wrapped over two lines with
    the code level with their first line, figures left blank on some rows."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_page()
    pdf.set_font("dejavu", size=9)
    heads = [
        (20, "Наименование", "показателя"),
        (80, "Код", "строки"),
        (105, "На отчетную", "дату"),
        (140, "На 31 декабря", "предыдущего года"),
    ]
    for x, first, second in heads:
        pdf.text(x, 30, first)
        pdf.text(x, 34, second)
    for x, n in ((20, "1"), (80, "2"), (105, "3"), (140, "4")):
        pdf.text(x, 40, n)
    pdf.text(40, 48, "АКТИВ")
    rows = [
        (["Материальные", "внеоборотные активы"], "1150", "", ""),
        (["Запасы"], "1210", "", "12"),
        (["Денежные средства и", "денежные эквиваленты"], "1250", "505", "2 518"),
        (["Финансовые и другие", "оборотные активы"], "1230", "891", ""),
        (["БАЛАНС"], "1600", "1 396", "2 530"),
    ]
    y = 56.0
    for label, code, now, before in rows:
        for i, part in enumerate(label):
            pdf.text(20, y + 3.5 * i, part)
        pdf.text(80, y, code)
        pdf.text(112 - pdf.get_string_width(now), y, now)
        pdf.text(160 - pdf.get_string_width(before), y, before)
        y += 12
    pdf.text(20, y + 10, "Руководитель организации подписал баланс 28 марта 2022 года.")
    pdf.output(str(path))
    return path


def test_a_statement_without_rules_is_a_table_anchored_on_its_line_codes(tmp_path: Path) -> None:
    """Rows of a label and a code alone, labels wrapped over two lines, blank figures: the
    column of codes makes the rows; the header stands over its columns, the section row is a
    row, the signature line under it stays out."""
    path = _statement_pdf(tmp_path / "balance.pdf")
    (page,) = ocrkit.ocr(path, route="text", cache_dir=tmp_path / "cache").pages
    (table,) = [b for b in page.blocks or [] if b.type == "table"]
    cells = {(c["row"], c["col"]): c["text"] for c in table.metadata["cells"]}
    by_text = {text: key for key, text in cells.items()}
    r, c = by_text["Денежные средства и денежные эквиваленты"]
    assert cells[(r, c + 1)] == "1250" and cells[(r, c + 2)] == "505"
    assert cells[(r, c + 3)] == "2 518"
    assert cells[(0, c + 2)] == "На отчетную дату"
    assert cells[(0, c + 3)] == "На 31 декабря предыдущего года"
    assert (by_text["Запасы"][0], c + 3) in cells and cells[(by_text["Запасы"][0], c + 3)] == "12"
    assert "АКТИВ" in by_text
    assert "Руководитель организации подписал баланс" in page.text
    assert not any("Руководитель" in text for text in cells.values())


def test_numbers_in_prose_make_no_statement(tmp_path: Path) -> None:
    """A law's text, years and article numbers in its lines: no table."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_page()
    pdf.set_font("dejavu", size=10)
    for i in range(10):
        pdf.text(20, 30 + 6 * i, f"Статья {i + 1}. Закон от {2010 + i} года, пункт {1100 + 10 * i}")
    path = tmp_path / "law.pdf"
    pdf.output(str(path))
    (page,) = ocrkit.ocr(path, route="text", cache_dir=tmp_path / "cache").pages
    assert not [b for b in page.blocks or [] if b.type == "table"]


def _price_list(path: Path, *, header: bool) -> Path:
    """A price list's column: a head of two lines over a grade and its price, then grades
    and prices set wide apart, four line heights from one row to the next; under it, the
    seller's requisites, each a label and its number."""
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.add_page()
    pdf.set_font("dejavu", size=7)
    if header:
        pdf.text(80, 55, "Марка")
        pdf.text(105, 55, "Цена с НДС,")
        pdf.text(105, 58, "за 1м³")
    grades = [("М100 (В7,5)", "3850-."), ("М150 (В10)", "3950-."), ("М200 (В15)", "4200-.")]
    grades += [("М250 (В20)", "4350-."), ("М300 (В22,5)", "4500-.")]
    for i, (grade, price) in enumerate(grades):
        pdf.text(80, 66 + 7 * i, grade)
        pdf.text(112 - pdf.get_string_width(price), 66 + 7 * i, price)
    for i, (label, number) in enumerate([("ИНН/", "7203515689"), ("КПП/", "720301001")]):
        pdf.text(80, 120 + 4 * i, label)
        pdf.text(100, 120 + 4 * i, number)
    pdf.text(80, 128, "ОГРН/")
    pdf.text(100, 128, "1217200002282")
    pdf.output(str(path))
    return path


def test_a_price_list_of_two_columns_under_its_head_is_a_table(tmp_path: Path) -> None:
    """Rows of a label and its price ("3850-.", whole roubles), set further apart than a
    table's rows usually are, under a head over both columns: a table, prices as printed.
    The same rows with no head, and the requisites under them, stay text."""
    path = _price_list(tmp_path / "prices.pdf", header=True)
    (page,) = ocrkit.ocr(path, route="text", cache_dir=tmp_path / "cache").pages
    (table,) = [b for b in page.blocks or [] if b.type == "table"]
    cells = {(c["row"], c["col"]): c["text"] for c in table.metadata["cells"]}
    assert cells[(0, 0)] == "Марка" and cells[(0, 1)] == "Цена с НДС, за 1м³"
    assert cells[(1, 0)] == "М100 (В7,5)" and cells[(1, 1)] == "3850-."
    assert cells[(5, 0)] == "М300 (В22,5)" and cells[(5, 1)] == "4500-."
    assert len(table.metadata["cells"]) == 12  # the requisites are no rows of it
    assert "ИНН/ 7203515689" in page.text
    bare = _price_list(tmp_path / "bare.pdf", header=False)
    (page,) = ocrkit.ocr(bare, route="text", cache_dir=tmp_path / "cache").pages
    assert not [b for b in page.blocks or [] if b.type == "table"]
    assert "М100 (В7,5) 3850-." in page.text
