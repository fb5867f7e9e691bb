"""Tables of a born-digital page, from the PDF's own objects:

- *ruled*: cells bounded by ruling lines (pdfplumber's lattice finder) and the characters
  inside each; a page is looked at only where PDFium found strokes crossing as a table's
  rules do, in any number of path objects (`text_layer.PageLayer.grid`);
- *aligned*: rows of runs of text separated by wide gaps (`text_layer.Line.runs`), at
  least three in a row with numbers in them, whose runs line up in columns, each column on
  its left edge, its right edge or its centre (justified prose has wide gaps too, but they
  never line up).

A cell's text is the characters inside its rules: numbers stay as printed, nothing is
reflowed across cells. `ocrkit.pdf.structure` puts the tables into the page's text and
blocks.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import pdfplumber

from ocrkit.model.postprocess.tables import Cell as GridCell
from ocrkit.model.postprocess.tables import to_html
from ocrkit.pdf.text_layer import Box, Line


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


class TableReader:
    """A document's tables, page by page; opens the file with pdfplumber on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pdf: pdfplumber.PDF | None = None

    def tables(self, number: int) -> list[Table]:
        if self._pdf is None:
            self._pdf = pdfplumber.open(self.path)
        page = self._pdf.pages[number - 1]
        try:
            found = page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"})
            return [t for t in (_table(f) for f in found) if t is not None]
        finally:
            page.close()  # its parsed objects: memory stays flat over long documents

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None


def _table(found: pdfplumber.table.Table) -> Table | None:
    texts = found.extract()
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
            clean = " ".join((text or "").split())
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
    x0, top, x1, bottom = found.bbox
    return Table(Box(x0, top, x1, bottom), rows, cells)


def _covered(edges: list[float], start: float, end: float) -> int:
    """How many of the grid's rows (or columns) starting at `edges` a cell from `start` to
    `end` covers."""
    return max(1, sum(start - 0.5 <= e < end - 0.5 for e in edges))


# How far the edges of one column's cells may wander: a quarter of the line height, at
# least 2.5 (points on a text layer, where 10-point text gets 2.5; pixels on an OCR'd page,
# where a scan's edges jitter by a few).
ALIGN_PT = 2.5
ALIGN_EM = 0.25
MIN_ROWS = 3  # rows with numbers it takes to make a table
_NUMBER = re.compile(r"^[(\-−–]?[\d\s.,%()\-−–]*\d[\d\s.,%()]*$")


def aligned_tables(lines: list[Line]) -> list[Table]:
    """The tables set without rules among `lines` (in reading order)."""
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(lines[j].runs) >= 3 and _next_row(lines, i, j):
            j += 1
        rows = lines[i:j]
        numeric = sum(any(_NUMBER.match(r[0]) for r in line.runs) for line in rows)
        table = _aligned(rows) if numeric >= MIN_ROWS else None
        if table is not None:
            tables.append(table)
            i = j
        else:
            i += 1
    return tables


def _next_row(lines: list[Line], start: int, k: int) -> bool:
    """Whether line `k` can be the next row of a table that started at line `start`."""
    if k == start:
        return True
    above, line = lines[k - 1], lines[k]
    height = above.box.bottom - above.box.top
    return 0 <= line.box.top - above.box.top <= 3 * height


def _aligned(rows: list[Line]) -> Table | None:
    template = max(rows, key=lambda line: len(line.runs)).runs
    columns = [(left, right) for _, left, right in template]
    grid: list[list[tuple[str, float, float] | None]] = []
    for line in rows:
        slots: list[tuple[str, float, float] | None] = [None] * len(columns)
        for run in line.runs:
            overlaps = [min(run[2], r) - max(run[1], left) for left, r in columns]
            best = max(range(len(columns)), key=overlaps.__getitem__)
            if overlaps[best] <= 0 or slots[best] is not None:
                return None
            slots[best] = run
        grid.append(slots)
    slack = max(ALIGN_PT, ALIGN_EM * statistics.median(x.box.bottom - x.box.top for x in rows))
    for c in range(len(columns)):
        runs = [row[c] for row in grid if row[c] is not None]
        if not any(_spread([f(r) for r in runs]) <= slack for f in _EDGES):
            return None
    cells = []
    for r, (line, slots) in enumerate(zip(rows, grid, strict=True)):
        for c, run in enumerate(slots):
            if run is not None:
                box = Box(run[1], line.box.top, run[2], line.box.bottom)
                cells.append(Cell(r, c, " ".join(run[0].split()), box))
    texts = [[" ".join(run[0].split()) if run else "" for run in slots] for slots in grid]
    box = Box(
        min(c.box.left for c in cells),
        rows[0].box.top,
        max(c.box.right for c in cells),
        rows[-1].box.bottom,
    )
    return Table(box, texts, cells)


_EDGES = (
    lambda run: run[1],
    lambda run: run[2],
    lambda run: (run[1] + run[2]) / 2,
)


def _spread(values: list[float]) -> float:
    return max(values) - min(values)
