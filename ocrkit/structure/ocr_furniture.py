"""Page furniture on OCR'd pages (Tesseract's words): running headers, footers and page
numbers, found as on text-layer pages (`ocrkit.structure.furniture`) but forgiving OCR: a row of
the top or bottom tenth of the page is furniture when it reads as a page number or when a
nearby page has a row at the same height that reads alike (two readings of one header
differ by a letter or two, and the engine may cut one row into lines differently).

A sink in front of another: each page waits until the pages after it are read.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from ocrkit.layout.regions import Region, Role
from ocrkit.layout.roles import assign_roles
from ocrkit.structure.blocks import Block
from ocrkit.structure.furniture import (
    APART,
    BAND,
    EDGE,
    FURNITURE_TEXT,
    NEARBY,
    NUMBERED_EDGE,
    SIDE,
    SIDE_TALL,
    is_page_number,
    line_key,
)
from ocrkit.structure.words import arrange, union

if TYPE_CHECKING:
    from ocrkit.outputs.results import PageResult
    from ocrkit.outputs.sink import PageSink
    from ocrkit.pdf.sources import Source

SAME_PLACE = 0.015  # of the page's height: how far a recurring row may move on a scan
SIMILAR = 0.8  # how alike two readings of one running header must be (OCR varies)
OCR_COPY_SHARE = 0.3  # of two pages' body words in common (Jaccard): the same page


@dataclass(frozen=True)
class Band:
    """A row of the page's top or bottom tenth: the engine's lines on it, what it reads
    (digits aside), its top as a share of the height, and its place."""

    lines: tuple[int, ...]
    key: str
    top: float
    role: str  # "header" | "footer"
    text: str = ""  # as read
    bottom: float = 0.0  # as a share of the height
    # The page's last row, with APART line heights or more of space above it and in no
    # table: where a running foot stands.
    parted_foot: bool = False
    # The page's first row, in its upper half, with APART line heights or more of space
    # below it: where a running head stands on a scan with wide margins of its own.
    parted_head: bool = False
    # A page number at one end, SET_OFF line heights or more from the row's words (at the
    # outer margin), not next to them as a title's or an item's number is.
    number_apart: bool = False


@dataclass(frozen=True)
class Bands:
    rows: list[Band]
    body: frozenset[str]  # the words of the rows between (not lines: OCR breaks them)
    # Lines set on their side in a side margin, beside all the page's other text (a copy
    # service's stamp, an arXiv identifier): furniture on a page alone too.
    margins: tuple[int, ...] = ()


def _lines_of(words: list[Block]) -> dict[int, list[Block]]:
    lines: dict[int, list[Block]] = {}
    for w in words:
        if w.type == "word" and w.bbox is not None and "line" in w.metadata:
            lines.setdefault(int(w.metadata["line"]), []).append(w)
    return lines


def _rows(lines: dict[int, list[Block]]) -> list[list[int]]:
    """The engine's lines grouped into the page's visual rows (a line whose middle falls
    within a row's height is on it), top to bottom."""
    boxes = {n: union(ws) for n, ws in lines.items()}
    rows: list[list[int]] = []
    for n in sorted(boxes, key=lambda n: boxes[n].y0 + boxes[n].y1):
        middle = (boxes[n].y0 + boxes[n].y1) / 2
        if rows and any(boxes[m].y0 <= middle <= boxes[m].y1 for m in rows[-1]):
            rows[-1].append(n)
        else:
            rows.append([n])
    return rows


def _row_words(lines: dict[int, list[Block]], row: tuple[int, ...] | list[int]) -> list[Block]:
    return sorted((w for n in row for w in lines[n]), key=lambda w: w.bbox.x0)  # type: ignore[union-attr]


def bands(page: PageResult) -> Bands:
    """An OCR'd page's rows in its top and bottom tenths (and a running head of capitals
    further in, `_capitals_and_number`), and the words of the rest."""
    if page.source != "ocr" or not page.blocks or not page.image_size:
        return Bands([], frozenset())
    width, height = page.image_size
    lines = _lines_of(page.blocks)
    margins = _in_side_margin(lines, width, height)
    out, body = [], set()
    rows = _rows({n: ws for n, ws in lines.items() if n not in margins})
    words = [_row_words(lines, row) for row in rows]
    boxes = [union(ws) for ws in words]
    tables = [b.bbox for b in page.blocks if b.type == "table" and b.bbox is not None]
    for i, row in enumerate(rows):
        ws, u = words[i], boxes[i]
        top, bottom = u.y0 / height, u.y1 / height
        middle = (top + bottom) / 2
        text = " ".join(w.content for w in ws)
        key = line_key(text)
        tall = u.y1 - u.y0
        in_table = any(t.y0 <= u.y0 and u.y1 <= t.y1 for t in tables)
        first = i == 0 and len(rows) > 1 and middle <= 0.5
        parted_head = first and not in_table and boxes[1].y0 - u.y1 >= APART * tall
        last = i == len(rows) - 1 and i > 0
        parted_foot = last and not in_table and u.y0 - boxes[i - 1].y1 >= APART * tall
        apart = _number_apart(ws, tall)
        # The first row further in too: a running head in a book's wide margin, or one of
        # capitals and a page number on a scan with margins of its own (a title there
        # stays body, however often it recurs).
        head = (
            middle <= BAND
            or (i == 0 and middle <= NUMBERED_EDGE)
            or (parted_head and apart and _capitals_and_number(text))
        )
        role = "header" if head else "footer" if middle >= 1 - BAND else None
        if role:
            out.append(
                Band(tuple(row), key, top, role, text, bottom, parted_foot, parted_head, apart)
            )
        else:
            body.update(w for w in key.split() if any(c.isalpha() for c in w))
    return Bands(out, frozenset(body), tuple(sorted(margins)))


def _in_side_margin(lines: dict[int, list[Block]], width: int, height: int) -> set[int]:
    """The engine's lines set on their side in a side margin (`furniture.SIDE`), beside
    every other line of the page, on a page whose lines mostly run across it."""
    boxes = {n: union(ws) for n, ws in lines.items()}
    on_side = [n for n, b in boxes.items() if b.y1 - b.y0 > b.x1 - b.x0]
    if 2 * len(on_side) >= len(boxes):
        return set()  # the page itself is read on its side: its lines all run so
    found = set()
    for n, b in boxes.items():
        tall, wide = b.y1 - b.y0, b.x1 - b.x0
        if tall < 3 * wide or tall < SIDE_TALL * height:
            continue
        if not (b.x1 <= SIDE * width or b.x0 >= (1 - SIDE) * width):
            continue
        if not any(m != n and o.x0 < b.x1 and b.x0 < o.x1 for m, o in boxes.items()):
            found.add(n)
    return found


def furniture_rows(mine: Bands, near: list[Bands]) -> dict[tuple[int, ...], str]:
    """The rows of a page (from `bands`) that are furniture, with their role, given the
    bands of the pages near it. A page with no body keeps its rows (they are its content),
    and a nearby page whose body repeats this one's (a form) is no evidence."""
    if not mine.body:
        return {}
    others = [b for page in near if not _copies(mine.body, page.body) for b in page.rows]
    found = {(n,): "header" for n in mine.margins}
    for band in mine.rows:
        if is_page_number(band.key):
            found[band.lines] = "page_number"
        elif _says_furniture(band) or any(
            abs(o.top - band.top) <= SAME_PLACE
            and difflib.SequenceMatcher(None, o.key, band.key).ratio() >= SIMILAR
            for o in others
        ):
            found[band.lines] = band.role
    return found


# A journal's running head: its page number at one end ("204 FLAJOLET AND MARTIN"), not a
# year ("2024 Annual Report").
_NUMBERED_HEAD = re.compile(
    r"^(?!(?:19|20)\d\d\b)\d{1,4}\s+\S+\s+\S|^\S+\s+\S.*\s(?!(?:19|20)\d\d$)\d{1,4}$"
)


# A running foot: a few words, and its page number after them ("Samorząd Studentów
# Politechniki Warszawskiej 22"); no other figure (a statement's total row has its codes).
_NUMBERED_FOOT = re.compile(r"^(?:[^\W\d_][^\s\d]*\s+){2,8}(?!(?:19|20)\d\d$)\d{1,4}$")


def _says_furniture(band: Band) -> bool:
    """A row at the very edge of a page read alone that says it is furniture: what only
    furniture says (a copyright, "Downloaded from", a DOI, a scanning app's mark), a page
    number said as such at one end, a journal's head with its page number at one end, or
    the page's last row, parted from the body, of words and its page number set apart, or
    its first row, parted from the body, of capitals and its page number set apart."""
    if band.role == "header" and band.top <= NUMBERED_EDGE and _NUMBERED_HEAD.match(band.text):
        return True  # a book's or journal's wide top margin: a little further in
    if band.number_apart:
        if band.role == "footer" and band.parted_foot and _NUMBERED_FOOT.match(band.text):
            return True
        if band.parted_head and _capitals_and_number(band.text):
            return True  # "204 FLAJOLET AND MARTIN" above a scanned page's text
    edge = band.top <= EDGE if band.role == "header" else band.bottom >= 1 - EDGE
    return edge and (bool(FURNITURE_TEXT.search(band.text)) or _numbered_end(band.text))


SET_OFF = 4.0  # line heights between a running head's page number and its words, at least


def _number_apart(words: list[Block], tall: float) -> bool:
    """Whether the row (its words left to right) has a number at one end set SET_OFF line
    heights or more apart from the rest."""
    if len(words) < 2:
        return False
    for number, nearest in ((words[0], words[1]), (words[-1], words[-2])):
        a, b = number.bbox, nearest.bbox
        if not (number.content.isdigit() and a is not None and b is not None):
            continue
        if max(b.x0 - a.x1, a.x0 - b.x1) >= SET_OFF * tall:
            return True
    return False


def _capitals_and_number(text: str) -> bool:
    """Whether the row is a page number at one end and words in capitals (a journal's or
    book's running head: its authors or its title), no date."""
    words = text.split()
    if len(words) < 3 or not _NUMBERED_HEAD.match(text):
        return False
    rest = words[1:] if words[0].isdigit() else words[:-1]
    lettered = [w for w in rest if any(c.isalpha() for c in w)]
    return len(lettered) >= 2 and all(w.isupper() for w in lettered)


def _numbered_end(text: str) -> bool:
    """Whether the row ends or starts with its page number said as such ("Klausur
    Mathematik II - Teil B  Seite 8", "стр. 2 из 12  Отчёт")."""
    words = text.split()
    return len(words) > 2 and any(
        is_page_number(line_key(" ".join(part)))
        for n in range(2, min(4, len(words) - 1) + 1)
        for part in (words[-n:], words[:n])
    )


def _region(block: Block) -> Region:
    b = block.bbox
    assert b is not None
    role = cast("Role", block.type)
    return Region(role=role, box=(b.x0, b.y0, b.x1, b.y1), score=1.0, label=block.metadata["label"])


def _copies(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two pages whose bodies share many of their words (numbers aside): one page scanned
    twice, a form. OCR noise keeps two readings of one page to ~40% in common; different
    pages of one report share far fewer."""
    return bool(a and b) and len(a & b) >= OCR_COPY_SHARE * len(a | b)


def without_furniture(
    page: PageResult, furniture: dict[tuple[int, ...], str], *, keep: bool = False
) -> PageResult:
    """`page` with its furniture rows as blocks of their role: out of the text and its
    ordered blocks, after them; or, with `keep`, in them, above or below the body where a
    reader meets them."""
    if not furniture or not page.blocks:
        return page
    words = [b for b in page.blocks if b.type == "word"]
    # Copies: the page as read was handed on already (progress, the resume store).
    tables = [b.model_copy(deep=True) for b in page.blocks if b.type == "table"]
    gone = {n for row in furniture for n in row}
    kept = [w for w in words if int(w.metadata.get("line", -1)) not in gone]
    _, ordered = arrange(kept, tables, first_id=0)
    # The roles the layout stage gave the paragraphs before (`ocrkit.layout.roles`) stay.
    assign_roles(ordered, [_region(b) for b in page.blocks if "label" in b.metadata and b.bbox])
    lines = _lines_of(words)
    found = []
    for row, role in furniture.items():
        ws = _row_words(lines, row)
        content = " ".join(w.content for w in ws)
        found.append(Block(id=0, type=role, content=content, bbox=union(ws)))
    found.sort(key=lambda b: (b.bbox.y0, b.bbox.x0))  # type: ignore[union-attr]
    if keep:
        middle = page.image_size[1] / 2 if page.image_size else 0
        top = [b for b in found if b.bbox and b.bbox.y1 <= middle]
        ordered = [*top, *ordered, *(b for b in found if b not in top)]
        found = []
    for i, block in enumerate(ordered):
        block.id = len(words) + i
        block.metadata["order"] = i
    for i, block in enumerate(found):
        block.id = len(words) + len(ordered) + i
    text = "\n\n".join(b.content for b in ordered)
    return page.model_copy(update={"text": text, "blocks": [*words, *ordered, *found]})


class OcrFurniture:
    """A sink in front of another that finds OCR'd pages' running headers, footers and page
    numbers, and takes them out of the text (with `keep`, leaves them in, as blocks of their
    role): each page waits until the pages after it are read (NEARBY of them) so that it is
    compared with its neighbours on both sides."""

    def __init__(self, sink: PageSink, *, keep: bool = False) -> None:
        self.sink, self.keep = sink, keep
        self._waiting: list[tuple[PageResult, Bands]] = []  # each page's bands found once
        self._before: list[Bands] = []

    def add(self, source: Source, page: PageResult) -> None:
        self._waiting.append((page, bands(page)))
        if len(self._waiting) > NEARBY:
            self._decide(source)

    def done(self, source: Source) -> None:
        while self._waiting:
            self._decide(source)
        self._before = []
        self.sink.done(source)

    def _decide(self, source: Source) -> None:
        page, mine = self._waiting.pop(0)
        near = self._before[-NEARBY:] + [b for _, b in self._waiting[:NEARBY]]
        found = furniture_rows(mine, near)
        self.sink.add(source, without_furniture(page, found, keep=self.keep))
        self._before = [*self._before[-NEARBY + 1 :], mine]
