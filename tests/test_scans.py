"""Scans as they come: tables found by their rules (ocrkit.structure.ruled), pages printed
sideways turned upright before they are read (ocrkit.engines.orientation)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from harness import corpus, structure_corpus
from ocrkit.engines.orientation import Orientation, parse_osd, unrotate
from ocrkit.engines.tesseract import TesseractEngine, uneven_light
from ocrkit.model.postprocess import BBox, Block
from ocrkit.structure.ruled import _in_a_word, _Rule, ruled_tables

# A ruled table as a balance sheet prints it: a header row whose first cell spans two
# columns' worth of text, a merged section row, figures; drawn with a scan's flaws (a rule
# broken in two places, a double rule under the header).
COLUMNS = [200, 1100, 1350, 1750, 2150]  # x of the vertical rules
ROWS = [400, 520, 600, 680, 760]  # y of the horizontal rules
CELLS = {
    (0, 0): "Наименование показателя",
    (0, 1): "Код",
    (0, 2): "На 31 декабря 2021 г.",
    (0, 3): "На 31 декабря 2020 г.",
    (1, 0): "АКТИВ",  # spans the whole row: no vertical rules through it
    (2, 0): "Денежные средства",
    (2, 1): "1250",
    (2, 2): "12 331",
    (2, 3): "9 879",
    (3, 0): "БАЛАНС",
    (3, 1): "1600",
    (3, 2): "17 015",
    (3, 3): "15 530",
}


def _scan() -> tuple[Image.Image, list[Block]]:
    image = Image.new("L", (2480, 1200), 255)
    draw = ImageDraw.Draw(image)
    for y in ROWS:
        if y == 520:
            draw.line((COLUMNS[0], y, COLUMNS[-1], y), fill=40, width=3)
            draw.line((COLUMNS[0], y + 8, COLUMNS[-1], y + 8), fill=40, width=3)  # double
        else:
            draw.line((COLUMNS[0], y, 900, y), fill=40, width=3)  # broken twice
            draw.line((912, y, 1600, y), fill=40, width=3)
            draw.line((1609, y, COLUMNS[-1], y), fill=40, width=3)
    for x in COLUMNS:
        draw.line((x, ROWS[0], x, ROWS[1]), fill=40, width=3)
        draw.line((x, ROWS[2], x, ROWS[-1]), fill=40, width=3)
    for x in (COLUMNS[0], COLUMNS[-1]):  # the section row: outer rules only
        draw.line((x, ROWS[1], x, ROWS[2]), fill=40, width=3)
    font = ImageFont.truetype(corpus.FONT, 30)
    words: list[Block] = []
    for line, ((r, c), text) in enumerate(CELLS.items()):
        x, y = COLUMNS[c] + 20, ROWS[r] + 20
        for part in text.split():
            width = int(draw.textlength(part + " ", font=font))
            draw.text((x, y), part, font=font, fill=0)
            bbox = BBox(x0=x, y0=y, x1=x + width - 8, y1=y + 32)
            words.append(
                Block(id=len(words), type="word", content=part, bbox=bbox, metadata={"line": line})
            )
            x += width
    return image, words


def _ruled_page(
    size: tuple[int, int], columns: list[int], rows: list[int]
) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A white page with a grid ruled on it: every row's rule across, every column's down."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for y in rows:
        draw.line((columns[0], y, columns[-1], y), fill=40, width=3)
    for x in columns:
        draw.line((x, rows[0], x, rows[-1]), fill=40, width=3)
    return image, draw


def test_a_ruled_table_is_found_by_its_rules_with_its_merged_cells() -> None:
    image, words = _scan()
    (table,) = ruled_tables(image, words)
    assert table.rows == [
        ["Наименование показателя", "Код", "На 31 декабря 2021 г.", "На 31 декабря 2020 г."],
        ["АКТИВ", "", "", ""],
        ["Денежные средства", "1250", "12 331", "9 879"],
        ["БАЛАНС", "1600", "17 015", "15 530"],
    ]
    section = next(c for c in table.cells if c.text == "АКТИВ")
    assert section.colspan == 4 and section.rowspan == 1
    assert '<td colspan="4">АКТИВ</td>' in table.markdown()  # HTML where cells merge
    # Its box is the rules', the header row inside it.
    assert table.box.top == pytest.approx(ROWS[0], abs=6)
    assert table.box.left == pytest.approx(COLUMNS[0], abs=6)


def test_letters_are_no_rules_and_a_rule_read_into_a_word_leaves_the_cell() -> None:
    """Large, bold figures and capitals in one-line rows: their stems are as tall as a row's
    text and their strokes sit close together, yet the table keeps its three columns; OCR's
    "|" for a rule beside a figure ("4 860 453|") is not the cell's text."""
    columns, rows = [200, 700, 1300, 1900], [300, 364, 428, 492]
    image, draw = _ruled_page((3507, 900), columns, rows)  # landscape: rows close to text
    bold = ImageFont.truetype(corpus.FONT.replace("DejaVuSans", "DejaVuSans-Bold"), 52)
    texts = [["ИТОГО", "1 111 111", "4 860 453"], ["НДС", "11 111", "1 141 414"]]
    words: list[Block] = []
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            x, y = columns[c] + 30, rows[r] + 4
            for part in text.split():
                width = int(draw.textlength(part + " ", font=bold))
                draw.text((x, y), part, font=bold, fill=0)
                read = part + "|" if (r, c, part) == (0, 2, "453") else part
                bbox = BBox(x0=x, y0=y, x1=x + width - 12, y1=y + 54)
                words.append(Block(id=len(words), type="word", content=read, bbox=bbox))
                x += width
    (table,) = ruled_tables(image, words)
    assert table.rows == texts


def test_brackets_taller_than_a_rows_figures_are_no_rules() -> None:
    """Amounts in brackets (negative, as Russian statements print them) stacked in a column
    of a table ruled tight round its text: each bracket is a vertical stroke much taller
    than the figures and reaching the row's rules, yet the column stays one."""
    columns, rows = [50, 700, 900, 1400], [100, 160, 220, 280]
    image, draw = _ruled_page((1500, 400), columns, rows)
    text, bracket = ImageFont.truetype(corpus.FONT, 40), ImageFont.truetype(corpus.FONT, 60)
    texts = [
        ["ИТОГО ВСЕГО", "6300", "(12 527)"],
        ["НА ЦЕЛЕВЫЕ", "6310", "(7 016)"],
        ["НА СОДЕРЖАНИЕ", "6320", "(5 511)"],
    ]
    words: list[Block] = []

    def put(x: int, y: int, part: str) -> int:
        """`part` drawn at x, its brackets set large; the word's box; where it ends."""
        box = [x, y + 10, x, y + 40]
        for char in part:
            font = bracket if char in "()" else text
            top = y - 4 if char in "()" else y
            x0, y0, x1, y1 = draw.textbbox((x, top), char, font=font)
            draw.text((x, top), char, font=font, fill=0)
            box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            x += int(draw.textlength(char, font=font))
        words.append(
            Block(
                id=len(words),
                type="word",
                content=part,
                bbox=BBox(x0=box[0], y0=box[1], x1=box[2], y1=box[3]),
            )
        )
        return x

    for r, row in enumerate(texts):
        put_at = [columns[0] + 20, columns[1] + 20, columns[2] + 200]
        for c, cell in enumerate(row):
            x = put_at[c]
            for part in cell.split():
                x = put(x, rows[r] + 4, part) + 14
    # A pen's tick left of the first amount, which OCR reads as "/": were the brackets
    # rules, it would stand in a column of its own.
    draw.line((960, 140, 975, 120), fill=60, width=3)
    tick = BBox(x0=958, y0=118, x1=977, y1=142)
    words.append(Block(id=len(words), type="word", content="/", bbox=tick))
    # A speck in the next row that OCR read as "/" too, a quarter of a letter's height: no
    # word of the cell.
    draw.point((1000, 190), fill=60)
    speck = BBox(x0=998, y0=186, x1=1004, y1=194)
    words.append(Block(id=len(words), type="word", content="/", bbox=speck))
    (table,) = ruled_tables(image, words)
    assert table.rows == [[*texts[0][:2], "/ (12 527)"], *texts[1:]]  # three columns


def test_a_nil_dash_and_a_ranges_dash_stay_and_a_rule_read_as_dashes_does_not() -> None:
    columns, rows = [100, 700, 1300], [100, 170, 240, 310]
    image, draw = _ruled_page((1400, 400), columns, rows)
    font = ImageFont.truetype(corpus.FONT, 36)
    cells = {(0, 0): "Показатель", (0, 1): "Январь - Декабрь", (1, 0): "Выручка", (1, 1): "-"}
    cells |= {(2, 0): "Прочие", (2, 1): "1 500"}
    words: list[Block] = []
    for (r, c), text in cells.items():
        x = columns[c] + 20
        for part in text.split():
            x0, y0, x1, y1 = draw.textbbox((x, rows[r] + 16), part, font=font)
            draw.text((x, rows[r] + 16), part, font=font, fill=0)
            words.append(
                Block(
                    id=len(words), type="word", content=part, bbox=BBox(x0=x0, y0=y0, x1=x1, y1=y1)
                )
            )
            x += int(draw.textlength(part + " ", font=font))
    # The rule under the last row, read as a long dash by OCR.
    words.append(
        Block(id=len(words), type="word", content="——", bbox=BBox(x0=740, y0=300, x1=1250, y1=318))
    )
    (table,) = ruled_tables(image, words)
    assert table.rows == [["Показатель", "Январь - Декабрь"], ["Выручка", "-"], ["Прочие", "1 500"]]


def test_a_rule_read_as_a_words_mark_is_a_rule_and_a_letters_stem_is_not() -> None:
    rule = _Rule(a=1028, b=1080, at=1386)  # a header row's height, a column's rule

    def word(text: str, x0: int, x1: int) -> Block:
        return Block(id=0, type="word", content=text, bbox=BBox(x0=x0, y0=1036, x1=x1, y1=1072))

    assert not _in_a_word(rule, [word("|", 1380, 1392)])  # read as a pipe of its own
    assert not _in_a_word(rule, [word("[КПП", 1382, 1470)])  # read into the word's start
    assert not _in_a_word(rule, [word("453|", 1300, 1390)])  # ... or its end
    assert _in_a_word(rule, [word("Цена", 1366, 1454)])  # a bold Ц's stem and tail


def test_underlines_and_a_framed_paragraph_are_no_table() -> None:
    image = Image.new("L", (2480, 1200), 255)
    draw = ImageDraw.Draw(image)
    draw.line((300, 300, 1200, 300), fill=0, width=3)  # a signature line
    draw.rectangle((300, 500, 2000, 800), outline=0, width=3)  # a box around a paragraph
    words = [Block(id=0, type="word", content="Текст", bbox=BBox(x0=400, y0=600, x1=520, y1=640))]
    assert ruled_tables(image, words) == []


def test_tesseracts_orientation_report_is_read() -> None:
    report = (
        "Page number: 0\nOrientation in degrees: 270\nRotate: 90\n"
        "Orientation confidence: 18.73\nScript: Cyrillic\nScript confidence: 9.65\n"
    )
    assert parse_osd(report) == Orientation(90, "cyrillic")
    # Unsure guesses change nothing: a page of figures is "upside down" at 0.75.
    unsure = report.replace("18.73", "0.75").replace("9.65", "0.5")
    assert parse_osd(unsure) == Orientation(0, None)
    assert parse_osd("Too few characters. Skipping this page") == Orientation(0, None)


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_boxes_found_on_a_turned_page_are_turned_back(rotate: int) -> None:
    width, height = 1000, 1400  # the page as it is
    box = (100, 200, 300, 260)  # a word on it
    page = Image.new("L", (width, height), 255)
    ImageDraw.Draw(page).rectangle(box, fill=0)
    turned = page.rotate(-rotate, expand=True)  # as the engine reads it
    found = Image.eval(turned, lambda v: 255 - v).getbbox()
    assert found is not None
    block = Block(
        id=0,
        type="word",
        content="x",
        bbox=BBox(x0=found[0], y0=found[1], x1=found[2], y1=found[3]),
    )
    unrotate([block], rotate, turned.size)
    b = block.bbox
    assert b is not None
    assert (b.x0, b.y0, b.x1, b.y1) == pytest.approx((100, 200, 301, 261), abs=2)


@pytest.mark.slow  # Tesseract reads the page
def test_a_page_printed_sideways_is_read_upright(tmp_path: Path) -> None:
    from ocrkit.api import aocr

    scan = structure_corpus.scan(tmp_path / "scan.pdf")
    page = structure_corpus.page_image(scan, 1, dpi=200)
    sideways = page.rotate(90, expand=True)  # a landscape scan of a portrait page
    path = tmp_path / "sideways.png"
    sideways.save(path)
    doc = asyncio.run(aocr(path, engine="tesseract", cache_dir=tmp_path / "cache"))
    (result,) = doc.pages
    assert "Бухгалтерский баланс" in result.text
    assert result.image_size == sideways.size
    words = [b for b in result.blocks or [] if b.type == "word" and b.bbox]
    # Its words' boxes lie on the page as it is: a column of lines running up the page.
    assert words and all(
        b.bbox.x1 <= sideways.width and b.bbox.y1 <= sideways.height for b in words
    )  # type: ignore[union-attr]
    assert sum((b.bbox.y1 - b.bbox.y0) > (b.bbox.x1 - b.bbox.x0) for b in words) > len(words) / 2  # type: ignore[union-attr]


@pytest.mark.slow  # Tesseract reads the page
def test_text_in_a_photos_shadow_is_read(tmp_path: Path) -> None:
    """Light falling off across a page (a phone photo) leaves its far side grey: one
    threshold for the whole page (Tesseract's default) loses the words there."""
    from ocrkit.api import aocr

    font = ImageFont.truetype(corpus.FONT, 36)
    page = Image.new("L", (1700, 900), 255)
    lines = [
        "Счет на оплату номер 91 от 05 июня и так далее",
        "Поставщик общество с ограниченной и так далее",
        "Всего наименований один на сумму и так далее",
        "Оплата данного счета означает согласие и так далее",
    ]
    for i, line in enumerate(lines):
        ImageDraw.Draw(page).text((60, 80 + 180 * i), line, font=font, fill=40)
    x = np.linspace(0, 1, page.width)
    y = np.linspace(0, 1, page.height)[:, None]
    light = 1 - 0.72 * np.clip(0.8 * x + 0.5 * y - 0.2, 0, 1)  # to a quarter at the far corner
    photo = Image.fromarray((np.asarray(page) * light).astype(np.uint8))
    path = tmp_path / "photo.png"
    photo.save(path)
    doc = asyncio.run(aocr(path, engine="tesseract", language="russian", cache_dir=tmp_path / "c"))
    (result,) = doc.pages
    assert result.text.split() == " ".join(lines).split()
    # Only such a page gets the threshold per neighbourhood; evenly lit paper keeps one.
    assert uneven_light(photo) and not uneven_light(page)


@pytest.mark.slow  # Tesseract reads the page
@pytest.mark.parametrize("turn", [0, 90])
@pytest.mark.parametrize("alone", [False, True])
def test_orientation_is_detected_only_where_the_words_make_no_sense(
    tmp_path: Path, turn: int, alone: bool
) -> None:
    """Tesseract's orientation and script detection costs a third of a reading: beside
    other pages, an upright page whose words read as Russian is read once, without it; a
    page on its side reads as garbage first, is detected, turned and read again. A page
    read alone has a core to spare: the detection runs beside its first reading (and the
    reading turned upright, where it says turned); the page reads the same."""
    from ocrkit.engines.tesseract import TesseractEngine
    from ocrkit.model.images import encode
    from ocrkit.options import OcrOptions

    scan = structure_corpus.scan(tmp_path / "scan.pdf")
    page = structure_corpus.page_image(scan, 1, dpi=200).rotate(turn, expand=True)
    engine = TesseractEngine(OcrOptions())
    modes: list[int] = []
    read = engine._tesseract

    async def counted(image: bytes, langs: str, psm: int, **kwargs: int) -> str:
        modes.append(psm)
        return await read(image, langs, psm, **kwargs)

    engine._tesseract = counted  # type: ignore[method-assign]

    async def run() -> str:
        await engine.start()
        engine._reading = 0 if alone else 1  # another page in flight, or none
        return (await engine.read(encode(page), temperature=0.0)).text

    assert "Бухгалтерский баланс" in asyncio.run(run())
    if alone:
        assert sorted(modes) == ([0, 3] if turn == 0 else [0, 3, 3])
    else:
        assert modes == ([3] if turn == 0 else [3, 0, 3])


@pytest.mark.slow  # Tesseract reads the page
def test_a_reading_begun_for_nothing_is_stopped_and_changes_nothing(tmp_path: Path) -> None:
    """A page read alone whose orientation detection says, wrongly, that it is turned: the
    reading of it turned upright begun beside the first one is stopped (or ends) unused,
    the first reading decides, and no Tesseract is left running."""
    from ocrkit.engines.tesseract import TesseractEngine
    from ocrkit.model.images import encode
    from ocrkit.options import OcrOptions

    scan = structure_corpus.scan(tmp_path / "scan.pdf")
    page = encode(structure_corpus.page_image(scan, 1, dpi=200))
    engine = TesseractEngine(OcrOptions())

    async def wrong(image: Image.Image, spare: bool = False) -> Orientation:
        return Orientation(90, None)

    read, stopped = engine._tesseract, []

    async def watched(image: bytes, langs: str, psm: int, **kwargs: int) -> str:
        try:
            return await read(image, langs, psm, **kwargs)
        except asyncio.CancelledError:
            stopped.append(_children("tesseract"))  # its process, reaped as it stops
            raise

    async def run(alone: bool) -> tuple[str, list[int]]:
        await engine.start()
        engine._reading = 0 if alone else 1
        reply = await engine.read(page, temperature=0.0)
        return reply.text, _children("tesseract")

    engine._orientation = wrong  # type: ignore[method-assign]
    engine._tesseract = watched  # type: ignore[method-assign]
    text, left = asyncio.run(run(alone=True))
    assert left == [] and all(pids == [] for pids in stopped), (left, stopped)
    assert text == asyncio.run(run(alone=False))[0]
    assert "Бухгалтерский баланс" in text


@pytest.mark.slow  # Tesseract reads the page
def test_a_page_that_fails_midway_leaves_no_tesseract_running(tmp_path: Path) -> None:
    """The orientation detection fails while the first reading of a page read alone is
    being started: the page fails with its error, its reading is stopped, and the run ends
    (a reading still being started when the run ends had hung asyncio's shutdown)."""
    import threading

    from ocrkit.engines.tesseract import TesseractEngine
    from ocrkit.model.images import encode
    from ocrkit.options import OcrOptions

    scan = structure_corpus.scan(tmp_path / "scan.pdf")
    page = encode(structure_corpus.page_image(scan, 1, dpi=200))
    engine = TesseractEngine(OcrOptions())

    def broken(image: Image.Image, spare: bool = False) -> Orientation:
        raise RuntimeError("detection failed")  # at once, as the coroutine is made

    engine._orientation = broken  # type: ignore[method-assign,assignment]
    outcome: list[object] = []

    async def run() -> None:
        await engine.start()
        engine._reading = 0
        try:
            await engine.read(page, temperature=0.0)
        except RuntimeError as exc:
            outcome.append(exc)
        outcome.append(_children("tesseract"))

    runner = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    runner.start()
    runner.join(timeout=300)  # a guard against the hang, not a measure
    assert not runner.is_alive(), "the run never ended"
    assert [str(outcome[0]), outcome[1]] == ["detection failed", []]


def _children(name: str) -> list[int]:
    """This process's children running `name` (from /proc)."""
    me, found = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = stat.with_name("comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == me and command == name:
            found.append(int(stat.parent.name))
    return found


def _banner(lines: list[str]) -> Image.Image:
    image = Image.new("L", (1800, 120 + 90 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(corpus.FONT, 56)
    for i, line in enumerate(lines):
        draw.text((60, 60 + 90 * i), line, fill=0, font=font)
    return image


@pytest.mark.slow  # Tesseract reads three pictures, together and alone
def test_pictures_are_read_together_one_tesseract_a_pass_each_as_alone() -> None:
    """Pictures of text on a page read from its text layer (a banner, a logo) are read in
    one Tesseract process a pass, its models loaded once: here one pass, with the
    default's models, for all three (a second pass would read again those whose words say
    other models). Each comes out as it does read alone; a blank one reads as nothing."""
    from ocrkit.engines.tesseract import TesseractEngine
    from ocrkit.model.images import encode
    from ocrkit.options import OcrOptions

    russian = encode(_banner(["Облигации серии БО-01", "Совет директоров"]))
    english = encode(_banner(["Annual Report 2021", "Payments to Governments"]))
    blank = encode(Image.new("L", (600, 200), 255))
    engine = TesseractEngine(OcrOptions(layout="off"))
    passes = _count_passes(engine)

    async def run(pictures: list) -> list[str]:
        await engine.start()
        return [r.text for r in await engine.read_pictures(pictures)]  # type: ignore[union-attr]

    together = asyncio.run(run([russian, english, blank]))
    assert passes == ["rus+eng"]
    assert "Совет директоров" in together[0] and "Payments to Governments" in together[1]
    assert together[2] == ""
    alone = [asyncio.run(run([p]))[0] for p in (russian, english, blank)]
    assert together == alone


@pytest.mark.slow  # Tesseract reads a real page's three pictures
def test_a_signature_among_a_pages_pictures_reads_as_nothing_and_its_logo_as_its_words() -> None:
    """A town's accounts signed by its mayor (bench/documents, Rödermark p.42): the gate
    finds ink in the logo of its head and in the two signatures. The logo's lettering is
    read; what Tesseract makes of a signature ("Aud Va td, lof", its words' confidence
    0.37 on average) is no text, and stays out of the page."""
    from ocrkit.engines.tesseract import TesseractEngine
    from ocrkit.options import OcrOptions
    from ocrkit.pdf.gate import judge
    from ocrkit.pdf.inputs import Input
    from ocrkit.pdf.sources import SourceDocument, check_source

    pdf = (
        Path(__file__).parent.parent / "bench/documents/pdfs/de_roedermark_gesamtabschluss2022.pdf"
    )
    doc = SourceDocument(check_source(Input(pdf, "pdf")))
    engine = TesseractEngine(OcrOptions(layout="off"))
    try:
        gate = judge(doc.layer(42))
        crops = [doc.render_region(42, engine.target, box) for box in gate.pictures]

        async def run() -> list[str]:
            await engine.start()
            return [r.text for r in await engine.read_pictures(crops)]  # type: ignore[union-attr]

        logo, *signatures = asyncio.run(run())
    finally:
        doc.close()
    assert "STADT" in logo and "Gemeinsam eins" in logo
    assert len(signatures) == 2 and signatures == ["", ""]


@pytest.mark.parametrize("angle", [1.5, -2.5])
def test_a_table_scanned_askew_is_found_as_on_a_level_scan(angle: float) -> None:
    """The ruled table scanned a degree or two askew (the page and the words' boxes as an
    engine reads them): its rules, a few pixels higher at one end than at the other, are
    found on the page turned level, with the same rows and cells as on a level scan; the
    words keep the boxes they were read with, and the table's box lies on the page as
    given."""
    from ocrkit.engines.tesseract import _structure
    from ocrkit.structure.skew import skew_of, turned

    image, words = _scan()
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(corpus.FONT, 30)
    for i in range(6):  # a note under the table: long lines to measure the slope on
        x, y = 200, 850 + 50 * i
        for part in f"Показатели приведены в тысячах рублей строка {i + 1}".split():
            width = int(draw.textlength(part + " ", font=font))
            draw.text((x, y), part, font=font, fill=0)
            box = BBox(x0=x, y0=y, x1=x + width - 8, y1=y + 32)
            words.append(
                Block(id=len(words), type="word", content=part, bbox=box, metadata={"line": 20 + i})
            )
            x += width
    _, level_blocks = _structure(words, image)
    (level_table,) = [b for b in level_blocks if b.type == "table"]

    skewed = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    read = turned(words, -angle, image.size)  # where the engine finds the words
    assert skew_of(read, image.width) == pytest.approx(angle, abs=0.2)
    _, blocks = _structure(read, skewed)
    (table,) = [b for b in blocks if b.type == "table"]
    assert table.content == level_table.content
    assert "<td>Денежные средства</td><td>1250</td><td>12 331</td>" in table.content
    assert [b.bbox for b in blocks if b.type == "word"] == [w.bbox for w in read]
    assert table.bbox is not None and level_table.bbox is not None
    assert abs(table.bbox.y0 - level_table.bbox.y0) <= 0.02 * image.width


def test_a_word_read_across_a_column_rule_is_parted_at_it() -> None:
    """OCR reads a row's number, the column's rule and the label beside it as one word
    ("7___|Телефон.связь"), and a rule as the mark opening a label (" |Услуги"): the
    number goes to its cell, the label to its own, and no mark stays in either."""
    image, words = _scan()
    label = next(i for i, w in enumerate(words) if w.content == "средства")
    code = next(i for i, w in enumerate(words) if w.content == "1250")
    a, b = words[label].bbox, words[code].bbox
    assert a is not None and b is not None
    merged = words[label].model_copy(
        update={"content": "средства___|1250", "bbox": BBox(x0=a.x0, y0=a.y0, x1=b.x1, y1=b.y1)}
    )
    total = next(i for i, w in enumerate(words) if w.content == "БАЛАНС")
    marked = words[total].model_copy(update={"content": " |БАЛАНС"})
    read = [merged if i == label else marked if i == total else w for i, w in enumerate(words)]
    (table,) = ruled_tables(image, [w for i, w in enumerate(read) if i != code])
    assert table.rows[2] == ["Денежные средства", "1250", "12 331", "9 879"]
    assert table.rows[3][0] == "БАЛАНС"


@pytest.mark.slow  # Tesseract reads the page twice
def test_a_page_in_another_language_of_its_script_is_read_again_with_its_model() -> None:
    """A German page, no language named: the default's reading (rus+eng) reads as German,
    and the page is read again with German's own model, which keeps its umlauts."""
    from ocrkit.engines.tesseract import TesseractEngine
    from ocrkit.model.images import encode
    from ocrkit.options import OcrOptions

    lines = [
        "Falsche oder fehlende Einträge führen zu Punktabzug.",
        "Füllen Sie die Tabelle entsprechend aus und prüfen Sie die Ergebnisse.",
        "Die Gemeinde hat für das Jahr über die Erträge und Aufwendungen berichtet.",
        "Sie brauchen Ihre Angaben nicht zu begründen, wenn die Lösung stimmt.",
    ] * 3
    page = encode(_banner(lines), uncompressed=True)
    engine = TesseractEngine(OcrOptions(layout="off"))
    if "deu" not in asyncio.run(_have(engine)):
        pytest.fail("Tesseract's German model is not installed (scripts/setup.sh installs it)")
    passes = _count_passes(engine)

    async def run() -> str:
        await engine.start()
        engine._reading = 1  # beside another page: no orientation detection beside it
        return (await engine.read(page, temperature=0.0)).text

    text = asyncio.run(run())
    assert [p for p in passes if p != "osd"] == ["rus+eng", "deu+eng"]
    assert "Einträge führen" in text and "begründen" in text


async def _have(engine) -> set[str]:  # type: ignore[no-untyped-def]
    await engine.start()
    return set(engine._have)


def _count_passes(engine: TesseractEngine) -> list[str]:
    """The languages of each Tesseract process the engine runs from now on, in order."""
    passes: list[str] = []
    read = engine._tesseract

    async def counted(image: bytes | Path, langs: str, psm: int, **kwargs: int) -> str:
        passes.append(langs)
        return await read(image, langs, psm, **kwargs)

    engine._tesseract = counted  # type: ignore[method-assign]
    return passes
