"""Tables of a born-digital page, from the PDF's own objects: cells bounded by ruling lines
(pdfplumber's lattice finder) and the characters inside each. A page is looked at only when
PDFium found drawings on it (a table needs its rules), so prose pages cost nothing.

A table becomes a GitHub Markdown table in the page's text, at its place among the lines
around it, and a `table` block with its cells (row, column, spans, box) in the JSON. Numbers
stay as printed: a cell's text is the characters inside it, nothing reflowed across cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pdfplumber

from ocrkit.model.postprocess import BBox, Block
from ocrkit.pdf.text_layer import Box, Line, PageLayer, reflow

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


def read_page(layer: PageLayer, tables: list[Table]) -> tuple[str, list[Block] | None]:
    """A text-layer page's text (tables as Markdown in place) and its table blocks."""
    if not tables:
        return layer.text, None
    return text_with_tables(layer.lines, tables), table_blocks(tables)


def text_with_tables(lines: list[Line], tables: list[Table]) -> str:
    """The page's text with each table as Markdown where it stands: the lines above a table,
    the table, the lines below it; lines inside a table are its cells, not text."""

    def inside(line: Line, table: Table) -> bool:
        cx, cy = (line.box.left + line.box.right) / 2, (line.box.top + line.box.bottom) / 2
        b = table.box
        return b.left <= cx <= b.right and b.top <= cy <= b.bottom

    rest = [line for line in lines if not any(inside(line, t) for t in tables)]
    parts: list[str] = []
    for table in sorted(tables, key=lambda t: t.box.top):
        above = [line for line in rest if line.box.bottom <= table.box.top + 1]
        rest = [line for line in rest if line.box.bottom > table.box.top + 1]
        if above:
            parts.append(reflow(above))
        parts.append(table.markdown())
    if rest:
        parts.append(reflow(rest))
    return "\n\n".join(p for p in parts if p)


def table_blocks(tables: list[Table], first_id: int = 0) -> list[Block]:
    """Each table as a `table` block: its Markdown, its box and its cells, in PDF points
    from the page's top left."""
    return [
        Block(
            id=first_id + i,
            type="table",
            content=t.markdown(),
            bbox=_bbox(t.box),
            metadata={
                "cells": [
                    {
                        "row": c.row,
                        "col": c.col,
                        "rowspan": c.rowspan,
                        "colspan": c.colspan,
                        "text": c.text,
                        "bbox": [
                            round(c.box.left, 1),
                            round(c.box.top, 1),
                            round(c.box.right, 1),
                            round(c.box.bottom, 1),
                        ],
                    }
                    for c in t.cells
                ]
            },
        )
        for i, t in enumerate(tables)
    ]


def _bbox(box: Box) -> BBox:
    return BBox(x0=round(box.left), y0=round(box.top), x1=round(box.right), y1=round(box.bottom))
