"""Page furniture on text-layer pages: running headers, footers and page numbers, which a
reader of the text does not want between two paragraphs.

A line is furniture when it sits in the top or bottom band of the page and either reads as
a page number ("7", "- 7 -", "7-45", "Стр. 7 из 120", "Page 7 of 120") or recurs at the same
place on a nearby page of the same document, digits aside (a running header, a footer with
its page number); a nearby page whose body repeats this one's (a form, a page printed twice)
is no evidence: there everything recurs. On a page alone (a one-page document, an extract)
a line at the very edge, set apart from the body, is furniture where it says so: set smaller
than the page's text, reading as furniture reads ("© 2014 ... All rights reserved",
"Downloaded from ...", a journal's volume and pages, a DOI, an ISSN), or with its page number
set off at one end ("208   Global Study on Legal Aid"). A smaller line that ends or starts
with a page number is a running head a little further down too (a book's wide top margin);
at the foot such a line is a footnote, and stays. A title at the top is set larger, and stays.
"""

from __future__ import annotations

import re
import statistics
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ocrkit.pdf.text_layer import Line, PageLayer

BAND = 0.1  # the top and bottom tenth of the page
NEARBY = 2  # pages either side compared
SAME_PLACE_PT = 4.0  # how far a recurring line may move between pages
COPY_SHARE = 0.5  # two pages sharing this share of their body lines are copies
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:(?:стр\.?|страница|лист|с\.|сторінка|page|p\.|seite|s\.|pag\.?|pagina|"
    r"página|pág\.?|strona|str\.)\s*)?#(?:\s*(?:из|із|of|/|von|di|de|sur|z|[-–])\s*#)?"
    r"(?:\s*[-–—])?$",
    re.IGNORECASE,
)
EDGE = 0.07  # the top and bottom 7% of the page: where a lone page's heads and feet stand
NUMBERED_EDGE = 0.14  # where a numbered running head stands in a book's wide top margin
SMALLER = 0.92  # set this much smaller than the page's usual text
APART = 1.0  # line heights of space between it and the body
# What only furniture says: copyright, provenance, a journal's reference, an identifier.
FURNITURE_TEXT = re.compile(
    r"©|\(c\)\s*\d{4}|all rights reserved|все права защищены|downloaded from|"
    r"https?://|www\.|\bdoi\b|\bissn\b|\bisbn\b|arxiv:|\bvol\.\s*\d|\bpp\.\s*\d|camscanner",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Furniture:
    role: str  # "header" | "footer" | "page_number"
    line: Line


def line_key(text: str) -> str:
    """A line as furniture recurs: digits aside, spacing and case aside."""
    return _key(text)


def is_page_number(key: str) -> bool:
    return bool(_PAGE_NUMBER.match(key))


def _key(text: str) -> str:
    return " ".join(_DIGITS.sub("#", text).split()).lower()


@dataclass(frozen=True)
class _Page:
    bands: list[tuple[int, str, float, str]]  # (line index, key, top, "header" | "footer")
    body: frozenset[str]  # the keys of the lines between the bands

    def copies(self, other: _Page) -> bool:
        """Whether one body repeats most of the other (the smaller one's lines)."""
        smaller = min(len(self.body), len(other.body))
        return smaller > 0 and len(self.body & other.body) >= COPY_SHARE * smaller


def _page(layer: PageLayer) -> _Page:
    bands, body = [], set()
    for i, line in enumerate(layer.lines):
        middle = (line.box.top + line.box.bottom) / 2
        if middle <= BAND * layer.height:
            bands.append((i, _key(line.text), line.box.top, "header"))
        elif middle >= (1 - BAND) * layer.height:
            bands.append((i, _key(line.text), line.box.top, "footer"))
        else:
            body.add(_key(line.text))
    return _Page(bands, frozenset(body))


class FurnitureFinder:
    """Finds a document's furniture page by page, comparing each page's bands with those
    of the pages near it (read through `layer_of`, remembered for a few pages)."""

    def __init__(self, layer_of: Callable[[int], PageLayer | None], page_count: int) -> None:
        self._layer_of, self._count = layer_of, page_count
        self._pages: OrderedDict[int, _Page] = OrderedDict()

    def _page_of(self, number: int, layer: PageLayer | None = None) -> _Page:
        if number not in self._pages:
            layer = layer if layer is not None else self._layer_of(number)
            self._pages[number] = _page(layer) if layer is not None else _Page([], frozenset())
            while len(self._pages) > 4 * NEARBY + 4:
                self._pages.popitem(last=False)
        return self._pages[number]

    def find(self, number: int, layer: PageLayer) -> list[Furniture]:
        mine = self._page_of(number, layer)
        edge = _at_the_edge(layer) | _in_side_margin(layer)
        # A numbered head in a book's wide margin may stand below the band.
        inside = {index for index, *_ in mine.bands}
        further = [Furniture(_role(layer, i), layer.lines[i]) for i in edge - inside]
        if not mine.bands:
            return further
        near = [
            self._page_of(n)
            for n in range(number - NEARBY, number + NEARBY + 1)
            if n != number and 1 <= n <= self._count
        ]
        others = [b for page in near if not mine.copies(page) for b in page.bands]
        found = further
        for index, key, top, band in mine.bands:
            line = layer.lines[index]
            if _PAGE_NUMBER.match(key):
                found.append(Furniture("page_number", line))
            elif (
                any(k == key and abs(t - top) <= SAME_PLACE_PT for _, k, t, _ in others)
                or index in edge
            ):
                found.append(Furniture(band, line))
        return found


def _at_the_edge(layer: PageLayer) -> set[int]:
    """The lines that read as furniture on the page alone (module docstring): in the top or
    bottom EDGE of the page, APART from the body, and smaller than it, saying so, or with
    its page number set off at one end; a little further in at the top (NUMBERED_EDGE: a
    book's wide margins), smaller and ending or starting with its page number."""
    if len(layer.lines) < 3:
        return set()
    usual = statistics.median(x.size for x in layer.lines)
    height = statistics.median(x.box.bottom - x.box.top for x in layer.lines) or 10.0
    top_edge, bottom_edge = EDGE * layer.height, (1 - EDGE) * layer.height
    # The body: below the top EDGE and above the bottom one (a head of two lines is apart
    # from the body, not from its other line).
    body = [x for x in layer.lines if top_edge < (x.box.top + x.box.bottom) / 2 < bottom_edge]
    found = set()
    for i, line in enumerate(layer.lines):
        middle = (line.box.top + line.box.bottom) / 2
        at_top = middle <= NUMBERED_EDGE * layer.height
        if not (at_top or middle >= bottom_edge):
            continue
        rest = [x for x in body if x is not line]
        if len(line.text) > 160 or _space(rest, line, layer.height, at_top) < APART * height:
            continue
        smaller = usual > 0 and line.size <= SMALLER * usual
        edge = middle <= top_edge or middle >= bottom_edge
        # A running head or foot parted from the body by a rule of its own (a title at
        # the top is set larger, and stays).
        ruled = line.size < TITLE_SCALE * usual and _ruled_off(layer, line, rest, height)
        says = smaller or FURNITURE_TEXT.search(line.text) or _numbered_runs(line) or ruled
        # Further in, only at the top: at the foot a smaller line that starts with a
        # number is a footnote.
        if (edge and says) or (at_top and smaller and _numbered_words(line, layer.lines)):
            found.add(i)
    return found


TITLE_SCALE = 1.15  # set this much larger than the page's text: a title, not a running head
RULE_NEAR = 3.0  # line heights between a running head and its rule, at most


def _ruled_off(layer: PageLayer, line: Line, body: list[Line], height: float) -> bool:
    """Whether a long rule runs between `line` (at the top or foot of the page) and the body,
    close to the line and across its whole width: a running head's or foot's rule."""
    top = line.box.top + line.box.bottom < layer.height
    # A table's border is met by its columns' rules; a running head's rule by none.
    columns = [e for e in layer.rules if e["orientation"] == "v"]
    for y, x0, x1 in layer.long_rules:
        if not (x0 - 2 <= line.box.left and line.box.right <= x1 + 2):
            continue
        if any(x0 <= e["x0"] <= x1 and e["top"] - 2 <= y <= e["bottom"] + 2 for e in columns):
            continue
        if top:
            near = line.box.bottom - 1 <= y <= line.box.bottom + RULE_NEAR * height
            between = not any(line.box.bottom - 1 <= x.box.top < y for x in body)
        else:
            near = line.box.top - RULE_NEAR * height <= y <= line.box.top + 1
            between = not any(y < x.box.bottom <= line.box.top + 1 for x in body)
        if near and between:
            return True
    return False


SIDE = 0.1  # of the page's width: the side margins, where a note set on its side stands
SIDE_TALL = 0.1  # of the page's height: how long a line on its side must run


def _in_side_margin(layer: PageLayer) -> set[int]:
    """The lines set on their side in a side margin, beside all the rest of the page's
    text, on a page whose text mostly runs across it: a copy service's stamp
    ("Официальная копия номер ..."), an arXiv identifier."""
    on_side = [x for x in layer.lines if x.box.bottom - x.box.top > x.box.right - x.box.left]
    if 2 * len(on_side) >= len(layer.lines):
        return set()  # the page's text itself runs up the page (a table printed sideways)
    found = set()
    for i, line in enumerate(layer.lines):
        box = line.box
        tall, wide = box.bottom - box.top, box.right - box.left
        if tall < 3 * wide or tall < SIDE_TALL * layer.height:
            continue
        if not (box.right <= SIDE * layer.width or box.left >= (1 - SIDE) * layer.width):
            continue
        if not any(
            x is not line and x.box.left < box.right and box.left < x.box.right for x in layer.lines
        ):
            found.add(i)
    return found


def _role(layer: PageLayer, index: int) -> str:
    line = layer.lines[index]
    return "header" if line.box.top + line.box.bottom < layer.height else "footer"


def _space(lines: list[Line], line: Line, page_height: float, below: bool) -> float:
    """The space between `line` and the nearest of `lines` below it (or above it): the
    page's edge where there is none."""
    if below:
        tops = [x.box.top for x in lines if x.box.top >= line.box.bottom - 1]
        return min(tops, default=page_height) - line.box.bottom
    bottoms = [x.box.bottom for x in lines if x.box.bottom <= line.box.top + 1]
    return line.box.top - max(bottoms, default=0.0)


def _numbered_runs(line: Line) -> bool:
    """A running head or foot with its page number set off by a wide gap at one end
    ("208 | Global Study on Legal Aid", "Chapter 2. Roles | 11")."""
    runs = [_key(run[0]) for run in line.runs]
    return len(runs) >= 2 and bool(_PAGE_NUMBER.match(runs[0]) or _PAGE_NUMBER.match(runs[-1]))


def _numbered_words(line: Line, lines: list[Line]) -> bool:
    """A line that starts or ends with a page number ("Optimized Table Tokenization 9"),
    or has one beside it on its row (PDFium may give the number as a line of its own)."""
    words = line.text.split()
    if len(words) >= 2 and (_ARABIC.match(words[0]) or _ARABIC.match(words[-1])):
        return True
    return any(
        x is not line
        and _ARABIC.match(x.text.strip())
        and min(x.box.bottom, line.box.bottom) > max(x.box.top, line.box.top)
        for x in lines
    )


_ARABIC = re.compile(r"^\d{1,4}$")
