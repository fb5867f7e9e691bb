"""A text-layer page's structure, put together: its ruled tables (`tables`) as Markdown where
they stand, its furniture (`furniture`: running headers, footers, page numbers) out of the
text and into blocks, the rest reflowed into paragraphs (`text_layer.reflow`).

Blocks carry boxes in PDF points from the page's top left (the page's `image_size` is its
size in points): `table` blocks with their cells, and `header`, `footer`, `page_number`.
"""

from __future__ import annotations

from ocrkit.model.postprocess import BBox, Block
from ocrkit.pdf.furniture import Furniture
from ocrkit.pdf.tables import Table
from ocrkit.pdf.text_layer import Box, Line, PageLayer, reflow


def _inside(line: Line, box: Box) -> bool:
    cx, cy = (line.box.left + line.box.right) / 2, (line.box.top + line.box.bottom) / 2
    return box.left <= cx <= box.right and box.top <= cy <= box.bottom


def in_tables(line: Line, tables: list[Table]) -> bool:
    return any(_inside(line, t.box) for t in tables)


def read_page(
    layer: PageLayer,
    tables: list[Table],
    furniture: list[Furniture],
    *,
    keep_furniture: bool = False,
) -> tuple[str, list[Block] | None]:
    """The page's text and its blocks (None when it has neither tables nor furniture)."""
    if not tables and not furniture:
        return layer.text, None
    lines = layer.lines
    if not keep_furniture:
        gone = {id(f.line) for f in furniture}
        lines = [line for line in lines if id(line) not in gone]
    blocks = table_blocks(tables)
    blocks += [
        Block(id=len(blocks) + i, type=f.role, content=f.line.text.strip(), bbox=_bbox(f.line.box))
        for i, f in enumerate(furniture)
    ]
    return text_with_tables(lines, tables), blocks


def text_with_tables(lines: list[Line], tables: list[Table]) -> str:
    """The page's text with each table as Markdown where it stands: the lines above a table,
    the table, the lines below it; lines inside a table are its cells, not text."""

    rest = [line for line in lines if not in_tables(line, tables)]
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
