"""Formula lines on OCR'd pages, read again on their own.

A page is OCR'd with the document's languages, Russian first: in a formula that reads the
Latin variables as Cyrillic look-alikes ("N" as "М"). And Tesseract's models have no "×" or
"−" at all (neither is in the eng or rus unicharset), so it reads them as "x" and "-", and a
zero in an index beside a capital as "O" ("T0" as "TO"). A paragraph the page calls a
`formula` is therefore cropped and read again with Latin first, and its signs put back.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import statistics
from collections.abc import Awaitable, Callable

from PIL import Image

from ocrkit.errors import PageFailed
from ocrkit.layout.roles import is_formula
from ocrkit.structure.blocks import BBox, Block

log = logging.getLogger("ocrkit")

# Reads a PNG with the given languages and page segmentation mode: its words, boxes in its
# pixels (Tesseract's TSV made into word blocks).
Reader = Callable[[bytes, str, int], Awaitable[list[Block]]]

MARGIN = 0.4  # of the formula's line height, around its box: Tesseract wants a white border
_TIMES = {"x", "х"}  # Latin and Cyrillic x, alone between two operands
_MINUS = {"-", "–", "—"}
_INDEX_ZERO = re.compile(r"^(\(?[A-Za-z])O(\)?[,.;]?)$")  # "TO", "(TO)", "TO)": T0


def latin_first(langs: str) -> str:
    """Tesseract's languages with English first ("rus+eng" → "eng+rus")."""
    parts = langs.split("+")
    return "+".join(sorted(parts, key=lambda lang: lang != "eng"))


def mend(words: list[str]) -> list[str]:
    """A formula's words with the signs Tesseract cannot read put back: an "x" or a dash
    standing alone between two operands is "×" or "−" (beside an operator it is a variable,
    or a minus sign as read: "f(x) = x - 1"), and an "O" after a lone capital is a zero
    ("T0")."""
    out = list(words)
    for i, word in enumerate(words):
        between = 0 < i < len(words) - 1 and _operand(words[i - 1]) and _operand(words[i + 1])
        if between and word in _TIMES:
            out[i] = "×"
        elif between and word in _MINUS:
            out[i] = "−"
        else:
            out[i] = _INDEX_ZERO.sub(r"\g<1>0\g<2>", word)
    return out


def _operand(word: str) -> bool:
    return any(c.isalnum() for c in word)


async def reread(blocks: list[Block], image: Image.Image, langs: str, read: Reader) -> bool:
    """Reads each `formula` paragraph among a Tesseract page's `blocks` again (in place: its
    content, and the words under it, which the searchable PDF lays over the image); whether
    any changed. A reading that is no formula any more, or that failed, is not taken; words
    read outside the formula's lines (the margin took in a neighbour's) are dropped."""
    changed = False
    formulas = [
        b for b in blocks if b.type == "formula" and b.bbox is not None and "order" in b.metadata
    ]
    for block in formulas:
        assert block.bbox is not None
        inside = [
            w
            for w in blocks
            if w.type == "word" and w.bbox is not None and _centre_in(w.bbox, block.bbox)
        ]
        if not inside:
            continue
        # Line numbers count down the page: in order, a formula's first line first.
        lines = sorted({int(w.metadata.get("line", -1)) for w in inside})
        height = statistics.median(w.bbox.y1 - w.bbox.y0 for w in inside)  # type: ignore[union-attr]
        crop, (dx, dy) = await asyncio.to_thread(_crop, image, block.bbox, height)
        try:
            got = await read(crop, latin_first(langs), 7 if len(lines) == 1 else 6)
        except PageFailed as exc:
            log.warning("a formula was not read again (%s); it stays as first read", exc)
            continue
        got = [
            w
            for w in got
            if w.bbox is not None
            and block.bbox.y0 - height / 2
            <= (w.bbox.y0 + w.bbox.y1) / 2 + dy
            <= block.bbox.y1 + height / 2
        ]
        if not got:
            continue
        text = mend([w.content for w in got])
        if not is_formula(" ".join(text)):
            continue
        first = inside[0]
        new_words = [
            Block(
                id=0,  # numbered below
                type="word",
                content=t,
                bbox=_moved(w.bbox, dx, dy),
                confidence=w.confidence,
                metadata={**first.metadata, "line": _line_of(w, dy, inside)},
            )
            for w, t in zip(got, text, strict=True)
        ]
        _replace(blocks, inside, new_words)
        block.content = "\n".join(
            " ".join(w.content for w in new_words if w.metadata["line"] == line)
            for line in lines
            if any(w.metadata["line"] == line for w in new_words)
        )
        changed = True
    return changed


def _moved(box: BBox | None, dx: int, dy: int) -> BBox | None:
    """A box in the crop's pixels, in the page's."""
    if box is None:
        return None
    return BBox(x0=box.x0 + dx, y0=box.y0 + dy, x1=box.x1 + dx, y1=box.y1 + dy)


def _centre_in(box: BBox, outer: BBox) -> bool:
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return outer.x0 <= cx <= outer.x1 and outer.y0 <= cy <= outer.y1


def _crop(image: Image.Image, box: BBox, height: float) -> tuple[bytes, tuple[int, int]]:
    """The formula's box with a white margin of MARGIN of its words' height, as a PNG, and
    where the crop starts on the page."""
    pad = round(MARGIN * height)
    left, top = max(0, round(box.x0) - pad), max(0, round(box.y0) - pad)
    right = min(image.width, round(box.x1) + pad)
    bottom = min(image.height, round(box.y1) + pad)
    buf = io.BytesIO()
    image.crop((left, top, right, bottom)).save(buf, format="PNG")
    return buf.getvalue(), (left, top)


def _line_of(word: Block, dy: int, inside: list[Block]) -> int:
    """The page line a re-read word stands on: that of the nearest old word vertically."""
    b = word.bbox
    if b is None:
        return int(inside[0].metadata.get("line", -1))
    middle = (b.y0 + b.y1) / 2 + dy
    nearest = min(inside, key=lambda w: abs((w.bbox.y0 + w.bbox.y1) / 2 - middle))  # type: ignore[union-attr]
    return int(nearest.metadata.get("line", -1))


def _replace(blocks: list[Block], old: list[Block], new: list[Block]) -> None:
    """Puts `new` where `old` stood in `blocks` (the words keep their place in the list)."""
    gone = {id(w) for w in old}
    at = min(i for i, b in enumerate(blocks) if id(b) in gone)
    blocks[:] = [b for b in blocks if id(b) not in gone]
    blocks[at:at] = new
    for i, block in enumerate(blocks):  # words, then the page's blocks, as `with_tables` numbers
        block.id = i
