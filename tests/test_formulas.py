"""Formula lines on OCR'd pages: read again on their own with Latin first, and the signs
Tesseract's models cannot write ("×", "−") and the index zero put back."""

from __future__ import annotations

import asyncio
import io

from PIL import Image

from ocrkit.errors import PageFailed
from ocrkit.model.postprocess import BBox, Block, ordered
from ocrkit.structure.formulas import latin_first, mend, reread
from ocrkit.structure.words import with_tables


def _w(text: str) -> list[str]:
    return text.split()


def _word(text: str, x: int, y: int, line: int, par: int) -> Block:
    box = BBox(x0=x, y0=y, x1=x + 20 * len(text), y1=y + 30)
    return Block(id=0, type="word", content=text, bbox=box, metadata={"line": line, "par": par})


def _page(formula: list[str]) -> list[Block]:
    words = [_word(t, 100 + 150 * i, 100, 0, 0) for i, t in enumerate(_w("Доход по формуле:"))]
    words += [_word(t, 300 + 100 * i, 200, 1, 1) for i, t in enumerate(formula)]
    words += [_word(t, 100 + 150 * i, 300, 2, 2) for i, t in enumerate(_w("где N номинал"))]
    for i, w in enumerate(words):
        w.id = i
    return with_tables(words)[1]


def test_signs_tesseract_cannot_write_are_put_back_between_operands() -> None:
    assert mend(_w("НКД = N x C x (T - TO) / 365")) == _w("НКД = N × C × (T − T0) / 365")
    assert mend(["S", "=", "P", "—", "D", "х", "k"]) == ["S", "=", "P", "−", "D", "×", "k"]
    # Not between two operands, or not a lone capital's index: left as read.
    assert mend(["x", "=", "TOTAL", "-"]) == ["x", "=", "TOTAL", "-"]
    assert mend(["y", "=", "(AO)"]) == ["y", "=", "(A0)"]
    # A variable x beside an operator stays x; a dash between two operands is a minus.
    assert mend(_w("f(x) = x - 1")) == _w("f(x) = x − 1")
    assert latin_first("rus+eng") == "eng+rus" and latin_first("eng") == "eng"


def test_a_formula_paragraph_is_read_again_and_its_words_replaced() -> None:
    blocks = _page(_w("НКД = Мх C x (T - TO) / 365"))
    formula = next(b for b in blocks if b.type == "formula")
    asked: list[tuple[str, int, tuple[int, int]]] = []

    async def read(png: bytes, langs: str, psm: int) -> list[Block]:
        asked.append((langs, psm, Image.open(io.BytesIO(png)).size))
        # Boxes in the crop's pixels, which start a margin above and left of the formula.
        return [
            _word(t, 20 + 100 * i, 12, 0, 0)
            for i, t in enumerate(_w("НКД = N x C x (T - TO) / 365"))
        ]

    image = Image.new("L", (2000, 500), 255)
    assert asyncio.run(reread(blocks, image, "rus+eng", read)) is True
    assert [(langs, psm) for langs, psm, _ in asked] == [("eng+rus", 7)]
    assert formula.content == "НКД = N × C × (T − T0) / 365"
    assert [b.content for b in ordered(blocks)][1] == formula.content
    words = [b for b in blocks if b.type == "word"]
    assert [w.content for w in words if w.metadata["line"] == 1] == formula.content.split()
    # Back in the page's pixels, on the formula's line, and numbered in one sequence.
    first = next(w for w in words if w.content == "НКД")
    assert first.bbox is not None and formula.bbox is not None
    # The crop starts MARGIN x 30 px = 12 px above and left of the formula's box.
    assert (first.bbox.x0, first.bbox.y0) == (formula.bbox.x0 - 12 + 20, formula.bbox.y0)
    assert [b.id for b in blocks] == list(range(len(blocks)))


def test_a_second_reading_that_is_no_formula_is_not_taken() -> None:
    blocks = _page(_w("НКД = Мх C x (T - TO) / 365"))
    before = [b.model_copy() for b in blocks]

    async def read(png: bytes, langs: str, psm: int) -> list[Block]:
        return [_word("Неразборчиво", 0, 0, 0, 0)]

    assert asyncio.run(reread(blocks, Image.new("L", (2000, 500), 255), "rus+eng", read)) is False
    assert [(b.type, b.content) for b in blocks] == [(b.type, b.content) for b in before]


def test_a_formula_over_two_lines_keeps_their_order_and_drops_what_the_margin_took_in() -> None:
    # Lines 9 and 10 of the page (their order as text would put 10 first).
    words = [_word(f"w{i}", 100 + 150 * (i % 3), 40 * (i // 3), i // 3, i // 3) for i in range(27)]
    words += [_word(t, 300 + 100 * i, 400, 9, 9) for i, t in enumerate(_w("S = a + b"))]
    words += [_word(t, 300 + 100 * i, 440, 10, 9) for i, t in enumerate(_w("+ c - d"))]
    words += [_word(t, 100 + 150 * i, 540, 11, 10) for i, t in enumerate(_w("где S сумма"))]
    for i, w in enumerate(words):
        w.id = i
    blocks = with_tables(words)[1]
    formula = next(b for b in blocks if b.type == "formula")
    asked: list[tuple[int, tuple[int, int]]] = []

    async def read(png: bytes, langs: str, psm: int) -> list[Block]:
        asked.append((psm, Image.open(io.BytesIO(png)).size))
        got = [_word(t, 20 + 100 * i, 12, 0, 0) for i, t in enumerate(_w("S = a + b"))]
        got += [_word(t, 20 + 100 * i, 52, 1, 0) for i, t in enumerate(_w("+ c x d"))]
        return [*got, _word("где", 20, 95, 2, 0)]  # the line under it, in the margin

    assert asyncio.run(reread(blocks, Image.new("L", (2000, 800), 255), "rus+eng", read))
    # One block of text: page segmentation mode 6; the margin is 0.4 of a word's 30 px.
    assert asked == [(6, (formula.bbox.x1 - formula.bbox.x0 + 24, 70 + 24))]  # type: ignore[union-attr]
    assert formula.content == "S = a + b\n+ c × d"
    assert "где" not in [w.content for w in blocks if w.type == "word" and w.metadata["line"] < 11]


def test_a_second_reading_that_fails_leaves_the_page_as_first_read() -> None:
    blocks = _page(_w("НКД = Мх C x (T - TO) / 365"))
    before = [(b.type, b.content) for b in blocks]

    async def read(png: bytes, langs: str, psm: int) -> list[Block]:
        raise PageFailed("tesseract took over 120 s")

    assert asyncio.run(reread(blocks, Image.new("L", (2000, 500), 255), "rus+eng", read)) is False
    assert [(b.type, b.content) for b in blocks] == before
