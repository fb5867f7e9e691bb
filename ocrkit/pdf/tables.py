"""Tables of a born-digital page, from the PDF's own objects: cells bounded by ruling lines
(pdfplumber's lattice finder) and the characters inside each. A page is looked at only when
PDFium found drawings on it (a table needs its rules), so prose pages cost nothing.

A cell's text is the characters inside its rules: numbers stay as printed, nothing is
reflowed across cells. `ocrkit.pdf.structure` puts the tables into the page's text and
blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pdfplumber

from ocrkit.pdf.text_layer import Box

MIN_DRAWINGS = 4  # fewer path objects than a single boxed cell's sides: no ruled table


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
    rows: list[list[str]] = []
    cells: list[Cell] = []
    for r, (cells_row, boxes) in enumerate(zip(texts, found.rows, strict=True)):
        row = []
        for c, (text, box) in enumerate(zip(cells_row, boxes.cells, strict=True)):
            clean = " ".join((text or "").split())
            row.append(clean)
            if box is not None and text is not None:
                x0, top, x1, bottom = box
                colspan = _span(boxes.cells, c)
                cells.append(Cell(r, c, clean, Box(x0, top, x1, bottom), colspan=colspan))
        rows.append(row)
    x0, top, x1, bottom = found.bbox
    return Table(Box(x0, top, x1, bottom), rows, cells)


def _span(row: list[tuple[float, float, float, float] | None], c: int) -> int:
    span = 1
    while c + span < len(row) and row[c + span] is None:
        span += 1
    return span
