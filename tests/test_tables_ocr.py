"""Tables on OCR'd pages: the words Tesseract gives, regrouped into the page's rows, make
Markdown tables and table blocks where their columns line up (ruled or not); elsewhere the
engine's text stays as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

import ocrkit
from harness import structure_corpus as corpus
from harness.corpus import FONT
from harness.structure_rules import Absent, TableCell
from ocrkit.engines.tesseract import tsv_words
from ocrkit.model.postprocess import BBox, Block
from ocrkit.outputs.results import PageResult
from ocrkit.structure.continued import OcrContinuation
from ocrkit.structure.digit_groups import spaced_digit_groups
from ocrkit.structure.letter_sizes import reach, size
from ocrkit.structure.ocr_furniture import OcrFurniture
from ocrkit.structure.words import _regroup, arrange, with_tables

TSV_HEAD = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


def read_tsv(tsv: str) -> tuple[str, list[Block]]:
    """Tesseract's TSV as its text output would read (a line a line, a blank line between
    paragraphs), and its words."""
    words = tsv_words(tsv)
    text, _ = arrange(words, [], first_id=len(words))
    return text, words


def _word(i: int, text: str, x: int, y: int, line: int, par: int = 0) -> Block:
    box = BBox(x0=x, y0=y, x1=x + 12 * len(text), y1=y + 20)
    return Block(id=i, type="word", content=text, bbox=box, metadata={"line": line, "par": par})


def test_words_in_lined_up_columns_make_a_table_and_the_rest_stays() -> None:
    words = [_word(0, "Итоги", 100, 50, 0, 0), _word(1, "года", 170, 50, 0, 0)]
    table = [
        ["Показатель", "2025", "2024"],
        ["Выручка", "1 234", "1 100"],
        ["Прибыль", "(12)", "8"],
        ["Маржа", "12,75%", "11,40%"],
    ]
    for r, row in enumerate(table):
        for c, cell in enumerate(row):
            # Right-aligned numbers; Tesseract cut the columns into blocks of their own.
            for k, part in enumerate(cell.split(" ")):
                right = 600 + 250 * c
                width = 12 * len(cell)
                x = 100 if c == 0 else right - width + k * 12 * (len(cell.split(" ")[0]) + 1)
                words.append(_word(len(words), part, x, 120 + 40 * r, 10 * c + r, 1 + c))
    words.append(_word(len(words), "Конец", 100, 400, 99, 9))
    text, blocks, tables = with_tables(words)
    assert len(tables) == 1 and tables[0].rows == table
    assert text.startswith("Итоги года\n\n| Показатель | 2025 | 2024 |")
    assert text.endswith("| Маржа | 12,75% | 11,40% |\n\nКонец")
    # The words, then the page in reading order: a paragraph, the table, a paragraph.
    assert blocks[: len(words)] == words
    ordered = blocks[len(words) :]
    assert [(b.type, b.metadata["order"]) for b in ordered] == [
        ("text", 0),
        ("table", 1),
        ("text", 2),
    ]
    assert text == "\n\n".join(b.content for b in ordered)
    assert len({b.id for b in blocks}) == len(blocks)


def test_prose_words_are_left_as_the_engine_read_them() -> None:
    words = [
        _word(i, w, 100 + 80 * (i % 5), 50 + 30 * (i // 5), i // 5)
        for i, w in enumerate(
            ["Купон", "выплачивается", "раз", "в", "квартал", "по", "ставке", "12", "%", "годовых"]
        )
    ]
    text, blocks, tables = with_tables(words)
    assert tables == [] and blocks[: len(words)] == words
    # As Tesseract cut them: a line of five words each, one paragraph.
    assert text == "Купон выплачивается раз в квартал\nпо ставке 12 % годовых"
    assert [b.type for b in blocks[len(words) :]] == ["text"]


def test_the_scanned_corpus_tables_pass_every_cell_rule(tmp_path: Path) -> None:
    # Pages 1-4: the ruled balance sheet, the unruled income statement, the schedule over
    # two pages (its columns jitter by a few pixels on the scan: 4 of its rows did not
    # join it while the alignment tolerance was 2.5 px).
    scan = corpus.scan(tmp_path / "scan.pdf")
    doc = ocrkit.ocr(scan, engine="tesseract", pages="1-4", cache_dir=tmp_path / "cache")
    pages = {p.page: p.text for p in doc.pages}
    rules = [r for r in corpus.rules() if isinstance(r, TableCell) and r.page in pages]
    failed = [r for r in rules if not r.check(pages[r.page])]
    assert len(rules) == 16 and failed == [], pages
    assert all(any(b.type == "table" for b in p.blocks or []) for p in doc.pages)
    # "Итого по разделу I": the Roman numeral Tesseract reads as a pipe is a letter again.
    assert "| Итого по разделу I | 1100 |" in pages[1]
    # The schedule goes on on page 4 under its repeated header, and says so.
    tables = {p.page: [b.metadata for b in p.blocks or [] if b.type == "table"] for p in doc.pages}
    (schedule,) = tables[4]
    assert schedule["continues_from_page"] == 3 and schedule["repeated_header"] is True
    assert all("continues_from_page" not in t for n in (1, 2, 3) for t in tables[n])


def test_run_on_digit_groups_are_regrouped_in_ocr_tables_only() -> None:
    assert _regroup("1234 567") == "1 234 567"
    assert _regroup("(61234 000)") == "(61 234 000)"
    assert _regroup("12345 678 901") == "12 345 678 901"
    assert _regroup("9917 717,47") == "9 917 717,47"  # kopecks after the groups
    for as_read in ("1 234 567", "1234567", "1110", "2025", "08.02.2026", "12,75%", "1234"):
        assert _regroup(as_read) == as_read


def _amount(printed: str) -> tuple[Image.Image, Block]:
    """`printed` drawn as a scan shows it, and the one word an engine that ran its groups
    together reads there."""
    font = ImageFont.truetype(FONT, 40)
    image = Image.new("L", (700, 100), 255)
    ImageDraw.Draw(image).text((20, 20), printed, font=font, fill=0)
    x0, y0, x1, y1 = ImageDraw.Draw(image).textbbox((20, 20), printed, font=font)
    box = BBox(x0=x0 - 2, y0=y0 - 2, x1=x1 + 2, y1=y1 + 2)
    return image, Block(id=0, type="word", content=printed.replace(" ", ""), bbox=box)


@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("12 332", "12 332"),
        ("(12 527)", "(12 527)"),
        ("9 917 717,47", "9 917 717,47"),
        ("12332", "12332"),  # printed run together: stays
        ("1111", "1111"),  # narrow ones, no space: their ink gaps are wide, their steps not
        ("2021", "2021"),
    ],
)
def test_group_spaces_an_engine_lost_come_back_from_the_glyphs(printed: str, read: str) -> None:
    image, word = _amount(printed)
    (spaced,) = spaced_digit_groups([word], image)
    assert spaced.content == read
    # The word keeps its place and id; text that is no amount is never looked at.
    assert (spaced.id, spaced.bbox) == (word.id, word.bbox)
    other = word.model_copy(update={"content": "Итого"})
    assert spaced_digit_groups([other], image) == [other]


def test_a_russian_word_read_in_latin_look_alikes_is_russian_again() -> None:
    lines = [
        ["Итого", "no", "разделу", "I"],  # "по"
        ["Ha", "31", "декабря"],  # "На", at the start of its line
        ["перевод", "c", "карты,"],  # "с"
        ["Payment", "no", "later"],  # English around it: stays
        ["Итого", "kep", "разделу"],  # "кер" is no Russian word: stays
        ["сумма", "NDS"],  # not look-alikes only: stays
    ]
    tsv = [TSV_HEAD] + [
        f"5\t1\t1\t1\t{n}\t{k}\t{100 * k}\t{40 * n}\t60\t30\t95\t{t}"
        for n, line in enumerate(lines)
        for k, t in enumerate(line)
    ]
    words = tsv_words("\n".join(tsv))
    read = [[w.content for w in words if w.metadata["line"] == n] for n in range(len(lines))]
    assert read == [
        ["Итого", "по", "разделу", "I"],
        ["На", "31", "декабря"],
        ["перевод", "с", "карты,"],
        ["Payment", "no", "later"],
        ["Итого", "kep", "разделу"],
        ["сумма", "NDS"],
    ]


def test_pipes_of_a_letters_height_after_a_word_are_roman_numerals() -> None:
    rows = [
        (1, 100, "Итого"),
        (1, 220, "по"),
        (1, 280, "разделу"),
        (1, 380, "||"),  # "II", a word space after "разделу" (which ends at 364)
        (2, 900, "|"),  # a rule: nothing before it on its line
    ]
    tsv = [TSV_HEAD] + [
        f"5\t1\t1\t1\t{line}\t{k}\t{x}\t{40 * line}\t{12 * len(t)}\t30\t95\t{t}"
        for k, (line, x, t) in enumerate(rows)
    ]
    text, words = read_tsv("\n".join(tsv))
    assert text == "Итого по разделу II\n|"
    assert [w.content for w in words][-2:] == ["II", "|"]


def test_a_table_rule_read_as_pipes_on_line_after_line_stays_a_rule() -> None:
    rows = [(n, x, t) for n in (1, 2, 3) for x, t in ((100, "Выручка"), (200, "|"), (260, "12"))]
    tsv = [TSV_HEAD] + [
        f"5\t1\t1\t1\t{line}\t{k}\t{x}\t{40 * line}\t{12 * len(t)}\t30\t95\t{t}"
        for k, (line, x, t) in enumerate(rows)
    ]
    _, words = read_tsv("\n".join(tsv))
    assert [w.content for w in words if w.bbox and w.bbox.x0 == 200] == ["|", "|", "|"]


def _ocr_page(number: int, lines: list[tuple[str, int]]) -> PageResult:
    """An OCR'd page of 1000x1400 pixels: one paragraph a line, at the given tops."""
    words: list[Block] = []
    for i, (text, top) in enumerate(lines):
        for k, w in enumerate(text.split()):
            words.append(_word(len(words), w, 100 + 90 * k, top, i, i))
    text = "\n\n".join(t for t, _ in lines)
    return PageResult(
        page=number,
        text=text,
        source="ocr",
        engine="tesseract",
        blocks=words,
        image_size=(1000, 1400),
    )


class _Keep:
    def __init__(self) -> None:
        self.pages: list[PageResult] = []
        self.done = lambda source: None

    def add(self, source: object, page: PageResult) -> None:
        self.pages.append(page)


def test_ocr_pages_lose_running_headers_and_page_numbers_once_their_neighbours_are_read() -> None:
    sink = _Keep()
    window = OcrFurniture(sink)  # type: ignore[arg-type]
    for n in range(1, 5):
        # OCR reads the header a little differently each time.
        header = "ПАО Северный банк: отчёт за 2025 год" + ("" if n % 2 else ".")
        # Pages of different words, as a report's pages are (only the header recurs).
        topics = [
            "купоны выплачиваются",
            "погашение досрочное",
            "оферта безотзывная",
            "рейтинг эмитента",
            "залог имущества",
            "ковенанты соблюдены",
        ]
        body = [(f"{n}. {topics[(2 * n + k) % 6]}", 300 + 40 * k) for k in range(2)]
        window.add(None, _ocr_page(n, [(header, 40 + n), *body, (f"Стр. {n} из 4", 1350)]))  # type: ignore[arg-type]
        assert len(sink.pages) == max(0, n - 2)  # each waits for the two after it
    window.done(None)  # type: ignore[arg-type]
    assert [p.page for p in sink.pages] == [1, 2, 3, 4]
    for page in sink.pages:
        assert "Северный банк" not in page.text and "Стр." not in page.text
        assert page.text.startswith(f"{page.page}. ")
        blocks = [b for b in page.blocks or [] if b.type != "word"]
        roles = sorted(b.type for b in blocks if "order" not in b.metadata)
        assert roles == ["header", "page_number"]
        # The body, paragraph blocks in order, is the text without the furniture.
        body = [b for b in blocks if "order" in b.metadata]
        assert page.text == "\n\n".join(b.content for b in body)
        assert len({b.id for b in page.blocks or []}) == len(page.blocks or [])


def test_a_title_alone_at_the_top_of_one_ocr_page_stays() -> None:
    sink = _Keep()
    window = OcrFurniture(sink)  # type: ignore[arg-type]
    window.add(None, _ocr_page(1, [("Проспект эмиссии", 60), ("Текст проспекта", 300)]))  # type: ignore[arg-type]
    window.done(None)  # type: ignore[arg-type]
    (page,) = sink.pages
    assert (
        page.text.startswith("Проспект эмиссии")
        and page.blocks == _ocr_page(1, [("Проспект эмиссии", 60), ("Текст проспекта", 300)]).blocks
    )


def test_the_scanned_corpus_loses_its_furniture(tmp_path: Path) -> None:
    scan = corpus.scan(tmp_path / "scan.pdf")
    doc = ocrkit.ocr(scan, engine="tesseract", pages="1-3", cache_dir=tmp_path / "cache")
    pages = {p.page: p.text for p in doc.pages}
    absent = [r for r in corpus.rules() if isinstance(r, Absent) and r.page in pages]
    assert len(absent) == 9 and all(r.check(pages[r.page]) for r in absent), pages
    kept = ocrkit.ocr(
        scan, engine="tesseract", pages="2-4", keep_furniture=True, cache_dir=tmp_path / "cache"
    )
    for page in kept.pages:
        ordered = sorted(
            (b for b in page.blocks or [] if "order" in b.metadata),
            key=lambda b: b.metadata["order"],
        )
        # Kept inline once, as blocks of their role where a reader meets them.
        assert ordered[0].type == "header" and ordered[-1].type in ("footer", "page_number")
        assert page.text == "\n\n".join(b.content for b in ordered)
        assert f"Стр. {page.page}" in page.text and "Стр." not in ordered[1].content
        assert not [b for b in page.blocks or [] if b.type == "header" and b not in ordered]
    # The header standing between them does not hide that the schedule goes on.
    (schedule,) = [b for b in kept.pages[2].blocks or [] if b.type == "table"]
    assert schedule.metadata["continues_from_page"] == 3


def test_a_row_tesseract_cut_into_two_paragraphs_is_one_line_again() -> None:
    # "... без учёта" ends paragraph 0; the page number is paragraph 1; "отложенных налогов."
    # (the same row, a word space on) is paragraph 2, as Tesseract read a scanned page.
    rows = [
        (0, 0, 100, 500, "Данные приведены без учёта"),
        (1, 1, 100, 1300, "Стр. 1"),
        (2, 2, 424, 500, "отложенных налогов."),
        (3, 3, 100, 560, "Итого"),
    ]
    tsv, k = [TSV_HEAD], 0
    for par, line, x, y, text in rows:
        for word in text.split():
            tsv.append(f"5\t1\t{par}\t1\t{line}\t{k}\t{x}\t{y}\t{12 * len(word)}\t30\t95\t{word}")
            x += 12 * len(word) + 12
            k += 1
    text, _ = read_tsv("\n".join(tsv))
    assert text == "Данные приведены без учёта отложенных налогов.\n\nСтр. 1\n\nИтого"


def _table_page(number: int, text: str, rows: list[list[tuple[str, int]]]) -> PageResult:
    """An OCR'd page whose text is `text` with one table block of `rows` (text, left edge)."""
    cells = [
        {"row": r, "col": c, "rowspan": 1, "colspan": 1, "text": t, "bbox": [x, 100, x + 50, 120]}
        for r, row in enumerate(rows)
        for c, (t, x) in enumerate(row)
    ]
    block = Block(id=0, type="table", content="", bbox=None, metadata={"cells": cells})
    return PageResult(
        page=number,
        text=text,
        source="ocr",
        engine="tesseract",
        blocks=[block],
        image_size=(1000, 1400),
    )


def test_a_table_opening_an_ocr_page_continues_the_one_that_closed_the_page_before() -> None:
    closing = "Итоги\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    opening = "| 3 | 4 |\n|---|---|\n| 5 | 6 |\n\nКонец"
    same = [[("1", 100), ("2", 600)]]
    moved = [[("3", 300), ("4", 600)]]
    cases = [
        (closing, same, opening, [[("3", 104), ("4", 596)]], True),  # the same columns
        (closing, same, opening, moved, False),  # other columns, no repeated header
        (closing + "\n\nПримечание", same, opening, same, False),  # text after the table
        ("Итоги\n\n" + opening, same, opening, same, False),  # the page before did not end with it
    ]
    for before_text, before_rows, text, rows, joined in cases:
        sink = _Keep()
        continued = OcrContinuation(sink)  # type: ignore[arg-type]
        continued.add(None, _table_page(3, before_text, before_rows))  # type: ignore[arg-type]
        continued.add(None, _table_page(4, text, rows))  # type: ignore[arg-type]
        link = sink.pages[1].blocks[0].metadata.get("continues_from_page")  # type: ignore[index]
        assert (link == 3) is joined, (before_text, rows)


def test_a_line_is_a_heading_by_its_letters_size_not_by_how_far_they_reach() -> None:
    def sized(i: int, text: str, x: int, y: int, line: int, em: float) -> Block:
        top, bottom = max(reach(c)[0] for c in text), min(reach(c)[1] for c in text)
        box = BBox(x0=x, y0=y, x1=x + 20 * len(text), y1=y + round(em * (top - bottom)))
        return Block(
            id=i, type="word", content=text, bbox=box, metadata={"line": line, "par": line}
        )

    body = ["сон", "вес", "мена", "ноша", "вина", "сена"]  # x-height only: short boxes
    words = [sized(i, t, 100 + 150 * i, 100, 0, 40) for i, t in enumerate(body)]
    words += [sized(i, t, 100 + 150 * i, 200, 1, 40) for i, t in enumerate(body)]
    # As tall as the body's size allows, but no larger: ascenders, descenders, capitals.
    reaching = ["Акционерное", "общество", "«Фудруф»"]
    words += [sized(12 + i, t, 100 + 300 * i, 300, 2, 40) for i, t in enumerate(reaching)]
    words += [sized(15 + i, t, 100 + 300 * i, 400, 3, 52) for i, t in enumerate(["Итоги", "года"])]
    for w in words:
        assert size(w) == pytest.approx(52 if w.metadata["line"] == 3 else 40, rel=0.03)
    _, blocks = arrange(words, [], first_id=len(words))
    assert [b.type for b in blocks] == ["text", "text", "text", "title"]
    assert size(Block(id=0, type="word", content="—", bbox=words[0].bbox)) is None


def test_a_paragraph_tesseract_broke_off_mid_sentence_is_joined_but_not_a_formula_or_item() -> None:
    def par(lines: list[str], top: int, n: int) -> list[Block]:
        return [
            _word(100 * n + 10 * r + i, t, 100 + 130 * i, top + 30 * r, 10 * n + r, n)
            for r, text in enumerate(lines)
            for i, t in enumerate(text.split())
        ]

    words = par(["Рейтинг эмитента подтверждён", "агентством в марте"], 100, 0)
    words += par(["текущего года."], 160, 1)  # the next line down, a paragraph of its own
    words += par(["S = a + b"], 300, 2)
    words += par(["где S сумма"], 330, 3)  # under a left-aligned formula
    words += par(["Условия: а) размещение,"], 440, 4)
    words += par(["б) погашение."], 470, 5)  # a lettered item
    text, _ = arrange(words, [], first_id=len(words))
    assert text.split("\n\n") == [
        "Рейтинг эмитента подтверждён\nагентством в марте\nтекущего года.",
        "S = a + b",
        "где S сумма",
        "Условия: а) размещение,",
        "б) погашение.",
    ]


def test_a_note_read_on_its_side_in_a_margin_of_one_ocr_page_leaves_its_text() -> None:
    """A copy service's stamp up the left margin of a scan, its words read on their side
    (tall, narrow boxes): furniture on a page alone too; the body stays."""
    body = [(f"Бланки документов изготавливают на бумаге вида {k}", 200 + 60 * k) for k in range(8)]
    page = _ocr_page(1, body)
    line = len(body)
    stamp = [
        Block(
            id=len(page.blocks or []) + k,  # type: ignore[arg-type]
            type="word",
            content=w,
            bbox=BBox(x0=20, y0=300 + 160 * k, x1=50, y1=440 + 160 * k),
            confidence=0.9,
            metadata={"line": line, "par": line},
        )
        for k, w in enumerate(["Официальная", "копия", "номер", "0085529"])
    ]
    page = page.model_copy(
        update={"blocks": [*(page.blocks or []), *stamp], "text": page.text + "\n\nОфициальная"}
    )
    sink = _Keep()
    window = OcrFurniture(sink)  # type: ignore[arg-type]
    window.add(None, page)  # type: ignore[arg-type]
    window.done(None)  # type: ignore[arg-type]
    (out,) = sink.pages
    assert "Официальная" not in out.text and "вида 7" in out.text
    (note,) = [b for b in out.blocks or [] if b.type == "header"]
    assert note.content == "Официальная копия номер 0085529"


def test_a_scan_alone_loses_what_only_furniture_says_at_its_edges() -> None:
    """One scanned page, no neighbours: a journal's head with its page number at one end,
    a foot ending with its page number said as such, and a scanning app's mark leave the
    text; a year opening a title and a line of the body ending with a number stay."""
    lines = [
        ("204 FLAJOLET AND MARTIN", 60),
        ("2024 Annual Report of the Bank", 200),
        ("The algorithm uses 64 bitmaps for 256", 400),
        ("Klausur Mathematik II Teil B Seite 8", 1330),
    ]
    for marks in (lines, [*lines[1:3], ("Scanné avec CamScanner", 1360)]):
        sink = _Keep()
        window = OcrFurniture(sink)  # type: ignore[arg-type]
        window.add(None, _ocr_page(1, marks))  # type: ignore[arg-type]
        window.done(None)  # type: ignore[arg-type]
        (page,) = sink.pages
        assert "2024 Annual Report" in page.text and "bitmaps for 256" in page.text
        for text, _ in marks:
            if text.startswith(("204", "Klausur", "Scanné")):
                assert text not in page.text


def test_a_scan_with_margins_of_its_own_loses_its_head_and_foot_set_apart() -> None:
    """A page scanned with wide margins of its own: its first row, apart from the text, a
    page number at the outer margin and capitals (a journal's running head, a fifth of the
    way down), and its last row, apart, of words and its page number at the margin (a
    book's running foot) leave the text. A title in capitals with its number beside it, a
    date opening the page, and a last row close under the text stay."""

    def read(lines: list[tuple[str, int]], margin: bool = True) -> str:
        page = _ocr_page(1, lines)
        if margin:  # each line's number at one end moved out to the page's margin
            for w in page.blocks or []:
                if w.content.isdigit() and w.bbox is not None:
                    x = 20 if w.bbox.x0 == 100 else 900
                    w.bbox = BBox(x0=x, y0=w.bbox.y0, x1=x + 30, y1=w.bbox.y1)
        sink = _Keep()
        window = OcrFurniture(sink)  # type: ignore[arg-type]
        window.add(None, page)  # type: ignore[arg-type]
        window.done(None)  # type: ignore[arg-type]
        (out,) = sink.pages
        return out.text

    body = [("TABLE III Sample Executions", 360), ("The algorithm uses bitmaps", 400)]
    head, foot = ("204 FLAJOLET AND MARTIN", 300), ("Samorząd Studentów Warszawskiej 22", 1290)
    text = read([head, *body, foot])
    assert "FLAJOLET" not in text and "Samorząd" not in text
    assert "TABLE III" in text and "uses bitmaps" in text
    # The same rows with their numbers beside their words: a title's, an item's.
    text = read([head, *body, foot], margin=False)
    assert "FLAJOLET" in text and "Samorząd" in text
    kept = [
        ("ANNUAL REPORT OF THE BANK", 300),
        ("12 января 2024 года", 300),
        ("Итого по разделу 22", 1290),
    ]
    for row in kept:
        lines = [row, *body] if row[1] < 1000 else [*body, ("Всего по разделу", 1262), row]
        assert row[0] in read(lines), row
