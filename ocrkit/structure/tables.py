"""Tables of a born-digital page, from the PDF's own objects:

- *ruled*: cells bounded by ruling lines (pdfplumber's lattice finder) and the characters
  inside each; a page is looked at only where PDFium found strokes crossing as a table's
  rules do, in any number of path objects (`text_layer.PageLayer.grid`);
- *aligned*: rows of runs of text separated by wide gaps (`text_layer.Line.runs`), at
  least three in a row with numbers in them, whose runs line up in columns, each column on
  its left edge, its right edge or its centre (justified prose has wide gaps too, but they
  never line up).

A cell's text is the characters inside its rules: numbers stay as printed, nothing is
reflowed across cells. `ocrkit.structure.text_page` puts the tables into the page's text and
blocks.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ocrkit.pdf.objects import Area
from ocrkit.pdf.text_layer import Box, Line, PageLayer
from ocrkit.structure.markup import Cell as GridCell
from ocrkit.structure.markup import to_html

if TYPE_CHECKING:
    import pdfplumber


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    text: str
    box: Box
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class Table:
    box: Box
    rows: list[list[str]]  # a merged cell's text in its first slot, "" in the rest
    cells: list[Cell]

    def markdown(self) -> str:
        """A GitHub Markdown table; an HTML table with rowspan/colspan where cells merge
        (Markdown cannot say that a cell spans two)."""
        if any(c.rowspan > 1 or c.colspan > 1 for c in self.cells):
            rows = [
                [GridCell(c.text, c.rowspan, c.colspan) for c in self.cells if c.row == r]
                for r in range(len(self.rows))
            ]
            return to_html([cells for cells in rows if cells])

        def row(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        head, *body = self.rows
        return "\n".join([row(head), "|" + "---|" * len(head), *map(row, body)])


def lattice_tables(layer: PageLayer, chars: Callable[[list[Area]], list[dict]]) -> list[Table]:
    """The page's ruled tables: pdfplumber's lattice finder on the rules PDFium read with the
    layer (`PageLayer.rules`), not on a second parse of the page; `chars(areas)` reads the
    characters of the lines that reach into the tables found (`PdfFile.chars`)."""
    if not layer.rules:
        return []
    # Imported on the first page with rules: a run without one never pays for it.
    from pdfplumber.table import TableFinder
    from pdfplumber.utils import extract_words

    page = _Objects(layer.width, layer.height, [dict(edge) for edge in layer.rules])
    found = TableFinder(page, {"vertical_strategy": "lines", "horizontal_strategy": "lines"})
    if not found.tables:
        return []
    areas = [
        (x0 - _PAD, top - _PAD, x1 + _PAD, bottom + _PAD)
        for x0, top, x1, bottom in (t.bbox for t in found.tables)
    ]
    page.chars = chars(areas)
    # The page's words, read once for all its tables and only if one needs them.
    words = functools.cache(lambda: extract_words(page.chars, return_chars=True))
    return [t for t in (_table(f, words) for f in found.tables) if t is not None]


_PAD = 2.0  # points around a table's rules whose characters are read with it


@dataclass
class _Objects:
    """A page as pdfplumber's table finder sees it: a box, edges (the layer's, copied: the
    finder moves them as it snaps them) and the characters read for its tables."""

    width: float
    height: float
    edges: list[dict]
    chars: list[dict] = field(default_factory=list)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)

    @functools.cached_property
    def by_height(self) -> tuple[list[dict], list[float]]:
        """The characters by their middle height, and those heights: sorted once for all
        the page's tables (set `chars` before asking)."""
        chars = sorted(self.chars, key=_v_mid)
        return chars, [_v_mid(c) for c in chars]


Bbox = tuple[float, float, float, float]


@dataclass(frozen=True)
class _Row:
    bbox: Bbox
    cells: list[Bbox | None]  # None: a slot a merged cell covers


@dataclass(frozen=True)
class _Grid:
    """A table pdfplumber found, its rows split where the rules leave several rows of
    figures in one (`_split`), and its page's characters by their middle height."""

    bbox: Bbox
    rows: list[_Row]
    page: _Objects
    chars: list[dict]
    mids: list[float]

    def band(self, top: float, bottom: float) -> list[dict]:
        """The characters whose middle lies from `top` to just above `bottom`."""
        return self.chars[
            bisect.bisect_left(self.mids, top) : bisect.bisect_left(self.mids, bottom)
        ]


def _grid(found: pdfplumber.table.Table) -> _Grid:
    chars, mids = found.page.by_height
    grid = _Grid(found.bbox, [], found.page, chars, mids)
    for row in _unmerge([_Row(row.bbox, list(row.cells)) for row in found.rows], grid):
        grid.rows.extend(_split(row, grid))
    return grid


LABELS_BESIDE_FIGURES = 3  # a tall cell's lines level with figures that make it a column


def _unmerge(rows: list[_Row], grid: _Grid) -> list[_Row]:
    """The rows with a cell that spans several of them cut at their rules where it is a
    column of labels the rules left open (an asset schedule ruled under its subtotals in
    the figures' columns only): it holds lines level with figures beside it in several
    rows (a column of figures too, beside another). A merged cell (a head over two rows, a
    category beside its items, a total over two) is left."""
    for i, row in enumerate(rows):
        # The row's own bottom: pdfplumber's row box reaches down to its tallest cell's.
        own = min(b[3] for b in row.cells if b is not None)
        for j, cell in enumerate(row.cells):
            if cell is None or cell[3] <= own + 0.5:
                continue
            spanned = [k for k in range(i + 1, len(rows)) if rows[k].bbox[1] < cell[3] - 0.5]
            if not spanned or _level_with_figures(cell, grid) < LABELS_BESIDE_FIGURES:
                continue
            for k in [i, *spanned]:
                x0, top, x1, bottom = rows[k].bbox
                bottom = own if k == i else bottom
                if k == i or rows[k].cells[j] is None:
                    rows[k].cells[j] = (cell[0], top, cell[2], bottom)
                rows[k] = _Row((min(x0, cell[0]), top, max(x1, cell[2]), bottom), rows[k].cells)
    return rows


def _level_with_figures(cell: Bbox, grid: _Grid) -> int:
    """How many of the cell's lines stand level with a line of figures beside it."""
    x0, top, x1, bottom = cell
    band = grid.band(top, bottom)
    own = _lines_in([c for c in band if x0 <= _h_mid(c) < x1])
    beside = [[c for c in band if _h_mid(c) >= x1], [c for c in band if _h_mid(c) < x0]]
    figures = [y for side in beside for y, text in _lines_in(side) if _CODE.match(text)]
    height = statistics.median([c["bottom"] - c["top"] for c in band]) if band else 0.0
    return sum(any(abs(y - f) <= 0.3 * height for f in figures) for y, _ in own)


def _split(row: _Row, grid: _Grid) -> list[_Row]:
    """The row as the rows it holds where no rule parts them (a statement ruled in columns
    only): where a column of figures or codes has two lines or more in it and another cell
    has too, each line of the one with the most begins a row, halfway from the line before;
    every cell's text goes to the row its lines stand in."""
    x0, top, x1, bottom = row.bbox
    boxes = [b for b in row.cells if b is not None]
    if any(abs(b[1] - top) > 0.5 or abs(b[3] - bottom) > 0.5 for b in boxes):
        return [row]  # a cell reaches into another row: merged, left as it is
    band = [c for c in grid.band(top, bottom) if x0 <= _h_mid(c) < x1]
    if not band or _v_mid(band[-1]) - _v_mid(band[0]) <= 0.5 * min(
        c["bottom"] - c["top"] for c in band
    ):
        return [row]  # one line across the row (most rows): no cell has two
    lines = [_lines_in([c for c in band if b[0] <= _h_mid(c) < b[2]]) for b in boxes]
    # The column of figures or codes with the most lines (a cell's figure may be blank); a
    # line of signs alone over them (its unit: "€") is a row of its own.
    columns = [
        c
        for c in lines
        if len(c) >= 2
        and all(_CODE.match(text) or not any(ch.isalnum() for ch in text) for _, text in c)
        and sum(bool(_CODE.match(text)) for _, text in c) >= 2
    ]
    anchor = max(columns, key=len, default=None)
    if anchor is None or sum(len(centres) >= 2 for centres in lines) < 2:
        return [row]
    ys = [y for y, _ in anchor]
    cuts = [top] + [(a + b) / 2 for a, b in itertools.pairwise(ys)] + [bottom]
    return [
        _Row(
            (x0, t, x1, b),
            [None if cell is None else (cell[0], t, cell[2], b) for cell in row.cells],
        )
        for t, b in itertools.pairwise(cuts)
    ]


def _grouped(chars: list[dict]) -> list[list[dict]]:
    """The characters in lines, top to bottom: a character whose middle lies within half
    its height of the one before joins that one's line."""
    lines: list[list[dict]] = []
    for char in sorted(chars, key=_v_mid):
        height = char["bottom"] - char["top"]
        if lines and _v_mid(char) - _v_mid(lines[-1][-1]) <= 0.5 * height:
            lines[-1].append(char)
        else:
            lines.append([char])
    return lines


def _lines_in(chars: list[dict]) -> list[tuple[float, str]]:
    """A cell's lines: the middle height of each and its text, top to bottom."""
    lines = _grouped(chars)
    return [
        (
            statistics.fmean(_v_mid(c) for c in line),
            "".join(c["text"] for c in sorted(line, key=lambda c: c["x0"])).strip(),
        )
        for line in lines
        if "".join(c["text"] for c in line).strip()
    ]


# A line of a column of figures or codes: "10", "548-549", "-3.454.630,87", "70, 74, 76".
_CODE = re.compile(r"^[(\-−–]?[\d][\d\s.,%()\-−–]*$")


def _h_mid(char: dict) -> float:
    return (char["x0"] + char["x1"]) / 2


def _table(table: pdfplumber.table.Table, words: Callable[[], list[dict]]) -> Table | None:
    found = _grid(table)
    texts = _extract(found, char_dir_rotated=_rotated_direction(found))
    if len(texts) < 2 or max(len(r) for r in texts) < 2:
        return None  # a framed paragraph, not a table
    # A merged cell covers the grid lines its box spans: across for colspan, down for rowspan.
    lefts = sorted({round(b[0], 1) for row in found.rows for b in row.cells if b is not None})
    tops = sorted({round(b[1], 1) for row in found.rows for b in row.cells if b is not None})
    rows: list[list[str]] = []
    cells: list[Cell] = []
    for r, (cells_row, boxes) in enumerate(zip(texts, found.rows, strict=True)):
        row = []
        for c, (text, box) in enumerate(zip(cells_row, boxes.cells, strict=True)):
            clean = " ".join(_logical(line) for line in (text or "").split("\n"))
            clean = " ".join(clean.split())
            row.append(clean)
            if box is not None and text is not None:
                x0, top, x1, bottom = box
                cells.append(
                    Cell(
                        r,
                        c,
                        clean,
                        Box(x0, top, x1, bottom),
                        rowspan=_covered(tops, top, bottom),
                        colspan=_covered(lefts, x0, x1),
                    )
                )
        rows.append(row)
    cells += _orphans(found, words, rows, cells, lefts)
    heights = [c["bottom"] - c["top"] for c in found.chars if c["text"].strip()]
    kept = _slivers_dropped(cells, statistics.median(heights)) if heights and cells else cells
    if kept is not cells:
        cells = kept
        width, height = (
            max(c.col + c.colspan for c in cells),
            max(c.row + c.rowspan for c in cells),
        )
        rows = [[""] * width for _ in range(height)]
        for cell in cells:
            rows[cell.row][cell.col] = cell.text
    if not any(c.text for c in cells):
        return None  # a drawing's boxes (a logo's frame), no text in any: no table
    cells.sort(key=lambda c: (c.row, c.col))
    x0, top, x1, bottom = found.bbox
    return Table(Box(x0, top, x1, bottom), rows, cells)


def _slivers_dropped(cells: list[Cell], letter: float) -> list[Cell]:
    """The cells without the columns and rows narrower than a letter that no cell of their
    own holds text in: the slivers between a double rule's lines, or between a cell's rule
    and its shading's edge, which pdfplumber takes for columns and rows of their own."""
    return _slivers(_slivers(cells, letter, across=True), letter, across=False)


def _slivers(cells: list[Cell], letter: float, *, across: bool) -> list[Cell]:
    def start(c: Cell) -> int:
        return c.col if across else c.row

    def span(c: Cell) -> int:
        return c.colspan if across else c.rowspan

    def size(c: Cell) -> float:
        return c.box.right - c.box.left if across else c.box.bottom - c.box.top

    single = [c for c in cells if span(c) == 1]
    count = max(start(c) + span(c) for c in cells)
    # Kept: a slot where a cell of its own has text, or is as wide as a letter, or that no
    # cell of its own has (only merged ones cross it).
    keep = {start(c) for c in single if c.text or size(c) >= letter}
    keep |= set(range(count)) - {start(c) for c in single}
    for c in cells:  # and no cell with text is left without a slot
        if c.text and not keep & set(range(start(c), start(c) + span(c))):
            keep.add(start(c))
    if len(keep) == count:
        return cells
    index = {k: i for i, k in enumerate(sorted(keep))}
    kept = []
    for c in cells:
        slots = [index[k] for k in range(start(c), start(c) + span(c)) if k in index]
        if not slots:
            continue  # an empty cell of a sliver
        if across:
            kept.append(replace(c, col=slots[0], colspan=len(slots)))
        else:
            kept.append(replace(c, row=slots[0], rowspan=len(slots)))
    return kept


def _extract(found: _Grid, **kwargs: object) -> list[list[str | None]]:
    """pdfplumber's `Table.extract`, with each row looking only at the characters whose
    middle lies in its band (found by bisection), not at every character of the page."""
    from pdfplumber.utils import extract_text

    texts: list[list[str | None]] = []
    for row in found.rows:
        _, top, _, bottom = row.bbox
        band = found.band(top, bottom)
        line: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                line.append(None)
                continue
            x0, top, x1, bottom = cell
            inside = [
                c for c in band if x0 <= (c["x0"] + c["x1"]) / 2 < x1 and top <= _v_mid(c) < bottom
            ]
            line.append(extract_text(_unspaced(inside), **kwargs) if inside else "")
        texts.append(line)
    return texts


SPACED_MIN = 6  # letters it takes to call a line letter-spaced ("E U R" stays as it is)


def _unspaced(chars: list[dict]) -> list[dict]:
    """The characters with a letter-spaced line's spaces dropped: a head set with a space
    after every letter ("A n s c h a f f u n g s -  u n d  H e r s t e l l u n g s
    k o s t e n"), its words parted by a wider gap, which keeps its space."""
    dropped: set[int] = set()
    for row in _grouped(chars):
        row.sort(key=lambda c: c["x0"])
        letters = [i for i, c in enumerate(row) if c["text"].strip()]
        if len(letters) < SPACED_MIN:
            continue
        pairs = list(itertools.pairwise(letters))
        spaced = [(a, b) for a, b in pairs if b == a + 2 and not row[a + 1]["text"].strip()]
        if len(spaced) < 0.8 * len(pairs):
            continue
        for a, b in spaced:
            space = row[a + 1]
            extra = (row[b]["x0"] - space["x1"]) + (space["x0"] - row[a]["x1"])
            if extra < 0.5 * space["width"]:
                dropped.add(id(space))
    return [c for c in chars if id(c) not in dropped] if dropped else chars


def _v_mid(char: dict) -> float:
    return (char["top"] + char["bottom"]) / 2


def _orphans(
    found: _Grid,
    words: Callable[[], list[dict]],
    rows: list[list[str]],
    cells: list[Cell],
    lefts: list[float],
) -> list[Cell]:
    """The words of the table that start in none of its cells (a slot whose rules are
    missing, a head over columns cut at the page's edge, a label running into the next
    cell), each put in the slot where it starts, whole; the piece of it that pdfplumber gave
    the next cell leaves that cell. No word of the table is lost. `rows` and `cells` are
    updated; the new cells are returned."""
    boxes = [(r, c, box) for r, row in enumerate(found.rows) for c, box in enumerate(row.cells)]
    real = [(r, c, box) for r, c, box in boxes if box is not None]
    x0, top, x1, bottom = found.bbox
    covered = sum((b[2] - b[0]) * (b[3] - b[1]) for _, _, b in real)
    if covered >= 0.999 * (x1 - x0) * (bottom - top):
        return []  # cells tile the whole table: every word starts in one
    added: dict[tuple[int, int], Cell] = {}
    for word in words():
        mid = (word["top"] + word["bottom"]) / 2
        start = word["x0"] + 0.5
        if not (x0 <= start <= x1 and top <= mid <= bottom):
            continue
        if any(b[0] <= start <= b[2] and b[1] <= mid <= b[3] for _, _, b in real):
            continue
        r = next((i for i, row in enumerate(found.rows) if row.bbox[1] <= mid <= row.bbox[3]), None)
        c = max((i for i, left in enumerate(lefts) if left <= start), default=None)
        if r is None or c is None or c >= len(rows[r]):
            continue
        for rr, cc, b in real:  # the piece of it another cell took
            piece = "".join(
                ch["text"] for ch in word["chars"] if b[0] <= (ch["x0"] + ch["x1"]) / 2 <= b[2]
            )
            if piece and b[1] <= mid <= b[3] and rows[rr][cc].startswith(piece):
                rows[rr][cc] = rows[rr][cc][len(piece) :].lstrip()
                _retext(cells, rr, cc, rows[rr][cc])
        rows[r][c] = f"{rows[r][c]} {word['text']}".strip()
        right = lefts[c + 1] if c + 1 < len(lefts) else x1
        box = Box(lefts[c], found.rows[r].bbox[1], right, found.rows[r].bbox[3])
        added[(r, c)] = Cell(r, c, rows[r][c], box)
    return list(added.values())


def _retext(cells: list[Cell], row: int, col: int, text: str) -> None:
    for i, cell in enumerate(cells):
        if (cell.row, cell.col) == (row, col):
            cells[i] = replace(cell, text=text)


_RTL_CHARS = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"  # Hebrew, Arabic and their forms
_LTR_LETTERS = "A-Za-z\u00c0-\u024f\u0400-\u04ff"  # Latin and Cyrillic
_RTL = re.compile(f"[{_RTL_CHARS}]")
_RTL_RUN = re.compile(f"[{_RTL_CHARS}](?:[\\s{_RTL_CHARS}]*[{_RTL_CHARS}])?")
_LTR_LETTER = re.compile(f"[{_LTR_LETTERS}]")
# Runs that read left to right inside right-to-left text: numbers, dates, Latin and Cyrillic.
_LTR_RUN = re.compile(f"[0-9{_LTR_LETTERS}](?:[0-9{_LTR_LETTERS}.,:/%+\\-]*[0-9{_LTR_LETTERS}])?")
_MIRRORED = str.maketrans("()[]{}<>«»", ")(][}{><»«")


def _logical(line: str) -> str:
    """A line of a cell in reading order: pdfplumber gives characters left to right, so
    Arabic, Persian or Hebrew comes out backwards. A line mostly in such a script is
    reversed, its numbers and Latin words turned back and its brackets mirrored; in a line
    mostly left to right, only its right-to-left words are turned."""
    rtl = len(_RTL.findall(line))
    if not rtl:
        return line
    if rtl < len(_LTR_LETTER.findall(line)):
        return _RTL_RUN.sub(lambda m: m.group()[::-1], line)
    backwards = line[::-1].translate(_MIRRORED)
    return _LTR_RUN.sub(lambda m: m.group()[::-1], backwards)


def _rotated_direction(found: _Grid) -> str:
    """Which way the table's sideways text reads (a narrow column's head set on its side):
    turned anticlockwise it reads up ("btt"), clockwise down; pdfplumber assumes down."""
    x0, top, x1, bottom = found.bbox
    turned = [
        c["matrix"][1]
        for c in found.page.chars
        if not c["upright"] and x0 <= c["x0"] <= x1 and top <= c["top"] <= bottom
    ]
    return "btt" if sum(b > 0 for b in turned) > len(turned) / 2 else "ttb"


def _covered(edges: list[float], start: float, end: float) -> int:
    """How many of the grid's rows (or columns) starting at `edges` a cell from `start` to
    `end` covers."""
    return max(1, sum(start - 0.5 <= e < end - 0.5 for e in edges))


# How far the edges of one column's cells may wander: a quarter of the line height, at
# least 2.5 (points on a text layer, where 10-point text gets 2.5; pixels on an OCR'd page,
# where a scan's edges jitter by a few).
ALIGN_PT = 2.5
ALIGN_EM = 0.25
MIN_ROWS = 3  # rows with numbers (or marks) it takes to make a table
# A price list's "3850-." and "3850.-" (whole roubles) are numbers too.
_NUMBER = re.compile(r"^[(\-−–]?[\d\s.,%()\-−–]*\d[\d\s.,%()]*(?:[-–]\.?|\.[-–])?$")
# A mark standing for a value: a check box, a tick, a cross, a dash for none, or a glyph
# whose font maps it to no letter (Wingdings' boxes come out as "*" or U+FFFD).
_MARK = re.compile(r"^(?:[^\w\s]|[xX])$")


def _valued(line: Line) -> bool:
    """Whether a row holds a table's values: a number anywhere, or a mark past its label."""
    return any(_NUMBER.match(run[0]) for run in line.runs) or any(
        _MARK.match(run[0].strip()) for run in line.runs[1:]
    )


def aligned_tables(lines: list[Line]) -> list[Table]:
    """The tables set without rules among `lines` (in reading order): rows of three runs or
    more, a section row between them (a label alone where the rows' labels start), and the
    header lines above them whose pieces each stand over one of its columns; or rows of a
    label and its value under a header over both (`_pairs`)."""
    tables: list[Table] = []
    claimed = 0  # lines before this one belong to a table found already
    i = 0
    while i < len(lines):
        j = i
        while (
            j < len(lines)
            and _next_row(lines, i, j)
            and (len(lines[j].runs) >= 3 or _section(lines, i, j))
        ):
            j += 1
        rows = lines[i:j]
        numeric = sum(_valued(line) for line in rows)
        table = None
        if numeric < MIN_ROWS and (pairs := _pairs(lines, claimed, i)):
            table, j = pairs
        elif numeric >= MIN_ROWS:
            head = _above(lines, claimed, i, rows)
            sections = []  # labels over the first column right above the rows: rows too
            while head and _over_first_only(head[-1], rows):
                sections.insert(0, head.pop())
            if not _is_header(head, rows):
                # No header: a label over the first column above the rows is the table's
                # title or the text's, not a section of it.
                head = sections = []
            table = _aligned(head + sections + rows, head=len(head))
        if table is not None:
            tables.append(table)
            i = claimed = j
        else:
            i += 1
    return tables


# One value: digits, grouped by spaces in threes at most ("1 234 567,89"), not two
# figures in one run ("182.750,99 223.213,84": two years' columns set as one).
_ONE_NUMBER = re.compile(
    r"^[(\-−–]?\d{1,3}(?:[ \u00a0\u202f]\d{3})*(?:[\d.,]*\d)?%?\)?(?:[-–]\.?|\.[-–])?$"
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


def _priced(line: Line) -> bool:
    """Whether the line is a label and its value: two runs, letters then one number."""
    return (
        len(line.runs) == 2
        and bool(_LTR_LETTER.search(line.runs[0][0]) or _RTL.search(line.runs[0][0]))
        and bool(_ONE_NUMBER.match(line.runs[1][0].strip()))
    )


def _heading(line: Line) -> bool:
    """Whether the line can head a label-and-value table: words (or a year) in each piece,
    no value of its own."""
    pieces = line.runs or ((line.text, line.box.left, line.box.right),)
    return all(
        _LTR_LETTER.search(p[0]) or _RTL.search(p[0]) or _YEAR.match(p[0].strip()) for p in pieces
    ) and not any(_NUMBER.match(p[0]) and not _YEAR.match(p[0].strip()) for p in pieces)


def _pairs(lines: list[Line], claimed: int, start: int) -> tuple[Table, int] | None:
    """A table of two columns from line `start`: MIN_ROWS rows or more of a label and its
    value ("М100 (В7,5) | 3850-."), and a header over both columns right above them
    ("Марка | Цена с НДС, за 1м³"); the table and the line after it. Without the header
    such lines are a list in the text (requisites, a table of contents)."""
    j = start
    while j < len(lines) and _priced(lines[j]) and _evenly_next(lines, start, j):
        j += 1
    rows = lines[start:j]
    if len(rows) < MIN_ROWS:
        return None
    head = _above(lines, claimed, start, rows)
    if not head or not all(_heading(line) for line in head) or not _is_header(head, rows):
        return None
    table = _aligned(head + rows, head=len(head), runs=2)
    return (table, j) if table is not None else None


PAIR_PITCH = 5.0  # line heights from one label-and-value row to the next, at most
PITCH_SLACK = 0.25  # how far the rows' pitch may vary: they are set evenly


def _evenly_next(lines: list[Line], start: int, k: int) -> bool:
    """Whether line `k` is the next of rows set evenly from line `start` (a price list's
    rows stand four line heights apart, further than `_next_row` allows)."""
    if k == start:
        return True
    first, second = lines[start], lines[start + 1]
    height = first.box.bottom - first.box.top
    pitch = second.box.top - first.box.top
    step = lines[k].box.top - lines[k - 1].box.top
    return 0 < pitch <= PAIR_PITCH * height and abs(step - pitch) <= PITCH_SLACK * pitch


SECTION_CHARS = 60  # a section row's label ("Europe", "Итого по разделу I") is short


def _section(lines: list[Line], start: int, k: int) -> bool:
    """Whether line `k`, a label alone, is a section row of the table from `start`: short,
    where the rows' labels start, with a table row right after it."""
    line, first = lines[k], lines[start]
    if k == start or line.runs or len(line.text) > SECTION_CHARS or k + 1 >= len(lines):
        return False
    height = first.box.bottom - first.box.top
    after = lines[k + 1]
    return (
        abs(line.box.left - first.box.left) <= max(ALIGN_PT, ALIGN_EM * height)
        and len(after.runs) >= 3
        and 0 <= after.box.top - line.box.top <= 3 * height
    )


HEADER_LINES = 6  # lines looked back at for a header: a header of up to three lines' pieces


def _above(lines: list[Line], claimed: int, start: int, rows: list[Line]) -> list[Line]:
    """The lines just above the table's first row that stand over its columns: a section
    label over its first column, header pieces over the others (PDFium may give a header's
    pieces in any order: they are taken by place), top to bottom."""
    columns = _columns(rows)
    first = rows[0]
    height = first.box.bottom - first.box.top
    found = []
    for line in lines[max(claimed, start - HEADER_LINES) : start]:
        if not (
            first.box.top - 8 * height <= line.box.top and line.box.bottom <= first.box.top + 1
        ):
            continue
        pieces = line.runs or ((line.text, line.box.left, line.box.right),)
        if all(len(_over(piece, columns)) == 1 for piece in pieces):
            found.append(line)
    return sorted(found, key=lambda x: (x.box.top, x.box.left))


def _columns(rows: list[Line]) -> list[tuple[float, float]]:
    """The columns' extents: each over all the rows with the most runs (one row's "–" is
    narrower than the figures under it)."""
    most = max(len(line.runs) for line in rows)
    full = [line.runs for line in rows if len(line.runs) == most]
    return [
        (min(runs[c][1] for runs in full), max(runs[c][2] for runs in full)) for c in range(most)
    ]


def _over(piece: tuple[str, float, float], columns: list[tuple[float, float]]) -> list[int]:
    return [
        c for c, (left, right) in enumerate(columns) if min(piece[2], right) > max(piece[1], left)
    ]


def _over_first_only(line: Line, rows: list[Line]) -> bool:
    pieces = line.runs or ((line.text, line.box.left, line.box.right),)
    return len(pieces) == 1 and _over(pieces[0], _columns(rows)) == [0]


def _is_header(above: list[Line], rows: list[Line]) -> bool:
    """Whether the lines above stand over two columns or more (a header, merged into one
    row), not only over the first (a section label: a row of its own)."""
    columns = _columns(rows)
    over = {
        c
        for line in above
        for piece in (line.runs or ((line.text, line.box.left, line.box.right),))
        for c in _over(piece, columns)
    }
    return len(over) >= 2


def _next_row(lines: list[Line], start: int, k: int) -> bool:
    """Whether line `k` can be the next row of a table that started at line `start`."""
    if k == start:
        return True
    above, line = lines[k - 1], lines[k]
    height = above.box.bottom - above.box.top
    return 0 <= line.box.top - above.box.top <= 3 * height


def _aligned(rows: list[Line], head: int = 0, runs: int = 3) -> Table | None:
    """The rows as a table when their runs line up in columns; the first `head` lines are
    its header, their pieces merged column by column into one row; its body, the rows of
    `runs` runs or more."""
    body = [line for line in rows if len(line.runs) >= runs]
    if not body:
        return None
    columns = _columns(body)
    head_lines, rest = rows[:head], rows[head:]
    grid: list[list[tuple[str, float, float] | None]] = []
    lined: list[Line] = []
    if head_lines:
        slots: list[tuple[str, float, float] | None] = [None] * len(columns)
        for line in head_lines:
            for piece in line.runs or ((line.text, line.box.left, line.box.right),):
                (c,) = _over(piece, columns)
                old = slots[c]
                text = piece[0] if old is None else f"{old[0]} {piece[0]}"
                left = piece[1] if old is None else min(old[1], piece[1])
                slots[c] = (text, left, piece[2] if old is None else max(old[2], piece[2]))
        grid.append(slots)
        first = head_lines[0]
        top, bottom = min(x.box.top for x in head_lines), max(x.box.bottom for x in head_lines)
        lined.append(replace(first, box=Box(first.box.left, top, first.box.right, bottom)))
    for line in rest:
        slots = [None] * len(columns)
        for run in line.runs or ((line.text, line.box.left, line.box.right),):
            overlaps = [min(run[2], r) - max(run[1], left) for left, r in columns]
            best = max(range(len(columns)), key=overlaps.__getitem__)
            if overlaps[best] <= 0 or slots[best] is not None:
                return None
            slots[best] = run
        grid.append(slots)
        lined.append(line)
    slack = max(ALIGN_PT, ALIGN_EM * statistics.median(x.box.bottom - x.box.top for x in body))
    for c in range(len(columns)):
        # Judged on the body's runs: a header may be centred over a column set flush right.
        runs = [
            slots[c] for slots, line in zip(grid, lined, strict=True) if line in body and slots[c]
        ]
        if runs and not any(_spread([f(r) for r in runs]) <= slack for f in _EDGES):
            return None
    cells = []
    for r, (line, slots) in enumerate(zip(lined, grid, strict=True)):
        for c, run in enumerate(slots):
            if run is not None:
                box = Box(run[1], line.box.top, run[2], line.box.bottom)
                cells.append(Cell(r, c, " ".join(run[0].split()), box))
    texts = [[" ".join(run[0].split()) if run else "" for run in slots] for slots in grid]
    box = Box(
        min(c.box.left for c in cells),
        min(x.box.top for x in lined),
        max(c.box.right for c in cells),
        max(x.box.bottom for x in lined),
    )
    return Table(box, texts, cells)


_EDGES = (
    lambda run: run[1],
    lambda run: run[2],
    lambda run: (run[1] + run[2]) / 2,
)


def _spread(values: list[float]) -> float:
    return max(values) - min(values)
