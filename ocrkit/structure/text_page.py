"""A text-layer page's structure, put together: its ruled tables (`tables`) as Markdown where
they stand, its furniture (`furniture`: running headers, footers, page numbers) out of the
text and into blocks, the rest reflowed into paragraphs (`text_layer.reflow`).

Blocks carry boxes in PDF points from the page's top left (the page's `image_size` is its
size in points): the page in reading order as `text` and `title` paragraphs and `table`
blocks with their cells (each with `metadata.order`, its place in the text), then the
furniture as `header`, `footer`, `page_number` blocks.

A table that opens a page (nothing but furniture above it) continues the table that closed
the page before (nothing but furniture below it), read from that page's layer even when it
was not asked for, by the rule every route shares (`ocrkit.structure.continued.continuation`):
its block says so (`continues_from_page`, `repeated_header`), so a reader of the JSON joins
the two into one table.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, replace

from ocrkit.layout.order import xy_columns
from ocrkit.layout.roles import text_roles
from ocrkit.pdf.text_layer import Box, Line, PageLayer, paragraphs
from ocrkit.structure.blocks import BBox, Block
from ocrkit.structure.continued import continuation
from ocrkit.structure.furniture import Furniture
from ocrkit.structure.tables import Table


def _inside(line: Line, box: Box) -> bool:
    cx, cy = (line.box.left + line.box.right) / 2, (line.box.top + line.box.bottom) / 2
    return box.left <= cx <= box.right and box.top <= cy <= box.bottom


def in_tables(line: Line, tables: list[Table]) -> bool:
    return any(_inside(line, t.box) for t in tables)


def _body(layer: PageLayer, tables: list[Table], furniture: list[Furniture]) -> list[Line]:
    gone = {id(f.line) for f in furniture}
    return [x for x in layer.lines if id(x) not in gone and not in_tables(x, tables)]


@dataclass(frozen=True)
class Closing:
    """The table that closes a page (nothing but furniture below it), as a table block, and
    the page's number and size in points."""

    page: int
    table: Block
    size: tuple[float, float]


def closing_table(
    number: int, layer: PageLayer, tables: list[Table], furniture: list[Furniture]
) -> Closing | None:
    """The page's last table, when nothing but furniture follows it."""
    table = _at_edge(layer, tables, furniture, last=True)
    if table is None:
        return None
    (block,) = table_blocks([table])
    return Closing(number, block, (layer.width, layer.height))


def opening_table(
    layer: PageLayer, tables: list[Table], furniture: list[Furniture]
) -> Table | None:
    """The page's first table, when nothing but furniture comes before it."""
    return _at_edge(layer, tables, furniture, last=False)


def _at_edge(
    layer: PageLayer, tables: list[Table], furniture: list[Furniture], *, last: bool
) -> Table | None:
    if not tables:
        return None
    if last:
        table = max(tables, key=lambda t: t.box.bottom)
        beyond = lambda x: x.box.top >= table.box.bottom - 1  # noqa: E731
    else:
        table = min(tables, key=lambda t: t.box.top)
        beyond = lambda x: x.box.bottom <= table.box.top + 1  # noqa: E731
    return None if any(beyond(x) for x in _body(layer, tables, furniture)) else table


def read_page(
    layer: PageLayer,
    tables: list[Table],
    furniture: list[Furniture],
    *,
    keep_furniture: bool = False,
    continues: Closing | None = None,
) -> tuple[str, list[Block] | None]:
    """The page's text and its blocks in reading order (None for a page without text).
    `continues`: the table that closed the page before."""
    if not layer.lines:
        return layer.text, None
    gone = {id(f.line) for f in furniture}
    lines = [line for line in layer.lines if id(line) not in gone]
    parts = _parts(lines, tables, _usual(layer.lines), layer.height)
    opening = opening_table(layer, tables, furniture) if continues else None
    kept = [_furniture_block(f) for f in furniture] if keep_furniture else []
    kept.sort(key=lambda b: (b.bbox.y0, b.bbox.x0))  # type: ignore[union-attr]
    # Kept furniture stands where a reader meets it, above or below the page's body.
    top = [b for b in kept if _in_top_half(b, layer)]
    bottom = [b for b in kept if not _in_top_half(b, layer)]
    blocks: list[Block] = list(top)
    for part in parts:
        if isinstance(part, Table):
            (block,) = table_blocks([part], first_id=len(blocks))
            if continues and part is opening:
                size = (layer.width, layer.height)
                link = continuation(continues.table, continues.size, block, size)
                if link is not None:
                    block.metadata.update(continues_from_page=continues.page, **link)
        else:
            role, text, members = part
            box = Box(
                min(x.box.left for x in members),
                min(x.box.top for x in members),
                max(x.box.right for x in members),
                max(x.box.bottom for x in members),
            )
            block = Block(id=len(blocks), type=role, content=text, bbox=_bbox(box))
        blocks.append(block)
    blocks += bottom
    for i, block in enumerate(blocks):
        block.id = block.metadata["order"] = i
    figures = [_bbox(image.box) for image in layer.images if _is_figure(image.box, layer)]
    text_roles(blocks, figures)
    text = "\n\n".join(b.content for b in blocks)
    unordered = [] if keep_furniture else [_furniture_block(f) for f in furniture]
    # Pictures: where they stand, no text of their own (a scan's picture goes to OCR).
    unordered += [Block(id=0, type="figure", content="", bbox=box) for box in figures]
    blocks += [b.model_copy(update={"id": len(blocks) + i}) for i, b in enumerate(unordered)]
    return text, blocks


def with_picture_text(
    blocks: list[Block], pictures: list[tuple[tuple[float, float, float, float], str]], by: str
) -> tuple[str, list[Block]]:
    """The page's blocks with each picture's OCR'd text (its box in PDF points, its text) as
    a `text` block in reading order where the picture stands (before the first block below
    its top), marked as read by engine `by`; and the page's text from them."""
    ordered = sorted(
        (b for b in blocks if "order" in b.metadata), key=lambda b: b.metadata["order"]
    )
    rest = [b for b in blocks if "order" not in b.metadata]
    for (left, top, right, bottom), text in pictures:
        block = Block(
            id=0,
            type="text",
            content=text,
            bbox=BBox(x0=round(left), y0=round(top), x1=round(right), y1=round(bottom)),
            metadata={"ocr": by},
        )
        at = next(
            (i for i, b in enumerate(ordered) if b.bbox is not None and b.bbox.y0 >= top),
            len(ordered),
        )
        ordered.insert(at, block)
    for i, block in enumerate(ordered):
        block.id = block.metadata["order"] = i
    rest = [b.model_copy(update={"id": len(ordered) + i}) for i, b in enumerate(rest)]
    return "\n\n".join(b.content for b in ordered), [*ordered, *rest]


FIGURE_SHARE = (0.01, 0.9)  # of the page's area: not a logo or a bullet, not a page's scan


def _is_figure(box: Box, layer: PageLayer) -> bool:
    share = (box.right - box.left) * (box.bottom - box.top) / (layer.width * layer.height)
    return FIGURE_SHARE[0] <= share < FIGURE_SHARE[1]


def _furniture_block(f: Furniture) -> Block:
    return Block(id=0, type=f.role, content=f.line.text.strip(), bbox=_bbox(f.line.box))


def _in_top_half(block: Block, layer: PageLayer) -> bool:
    return block.bbox is not None and block.bbox.y0 + block.bbox.y1 < layer.height


# A heading: a paragraph of one or two lines, short, set this much larger than the page's
# usual text; or in bold where the text is not, and not ending as a sentence or a lead-in
# does (a bold sentence is emphasis).
TITLE_SCALE = 1.15
TITLE_CHARS = 150


def _usual(lines: list[Line]) -> tuple[float, bool]:
    """The page's usual font size, and whether its usual text is bold."""
    if not lines:
        return 0.0, False
    return statistics.median(x.size for x in lines), sum(x.bold for x in lines) * 2 > len(lines)


# A footnote: set smaller than the page's usual text, in its lower third, opening with its
# mark ("1", "*", "¹").
FOOTNOTE_SCALE = 0.85
FOOTNOTE_MARKS = tuple("0123456789*†‡¹²³⁴⁵⁶⁷⁸⁹")


def _role(text: str, members: list[Line], usual: tuple[float, bool], height: float) -> str:
    size, bold = usual
    smaller = size > 0 and max(x.size for x in members) <= FOOTNOTE_SCALE * size
    low = min(x.box.top for x in members) >= 2 / 3 * height
    if smaller and low and text.startswith(FOOTNOTE_MARKS):
        return "footnote"
    if len(members) > 2 or len(text) > TITLE_CHARS:
        return "text"
    larger = size > 0 and min(x.size for x in members) >= TITLE_SCALE * size
    sentence = text.endswith((".", ",", ";", ":"))
    emphasised = not bold and all(x.bold for x in members) and not sentence
    return "title" if larger or emphasised else "text"


def _parts(
    lines: list[Line], tables: list[Table], usual: tuple[float, bool], height: float
) -> list[Table | tuple[str, str, list[Line]]]:
    """The page in reading order: each table where it stands (the lines above it, the
    table, the lines below it), the rest as paragraphs with their role and lines."""
    rest = [line for line in lines if not in_tables(line, tables)]
    parts: list[Table | tuple[str, str, list[Line]]] = []

    def add(chunk: list[Line]) -> None:
        for text, members in [p for run in in_columns(chunk) for p in paragraphs(run)]:
            if text:
                parts.append((_role(text, members, usual, height), text, members))

    for table in sorted(tables, key=lambda t: t.box.top):
        add([line for line in rest if line.box.bottom <= table.box.top + 1])
        rest = [line for line in rest if line.box.bottom > table.box.top + 1]
        parts.append(table)
    add(rest)
    return parts


def in_columns(lines: list[Line]) -> list[list[Line]]:
    """`lines` column by column where they stand in columns (XY-cut, `ocrkit.layout.order`),
    whatever order the PDF wrote them in, as runs of lines of one column (so that a line's
    fullness is judged against its own column, not a title above it); as the PDF has them,
    one run, otherwise. Columns written row by row (a line of each on one baseline, which
    PDFium reads as one line with a wide gap) are split at their gutter first."""
    lines = _split_at_gutter(lines) or lines
    boxes = [(x.box.left, x.box.top, x.box.right, x.box.bottom) for x in lines]
    order, columns = xy_columns(boxes, min_column=2)
    if len(set(columns)) <= 1:
        return [lines] if lines else []
    runs: list[list[Line]] = []
    for k, (i, column) in enumerate(zip(order, columns, strict=True)):
        if k == 0 or column != columns[k - 1]:
            runs.append([])
        runs[-1].append(lines[i])
    return runs


# Rows it takes to call a gap a gutter, and the words a side's pieces need (most of them):
# prose on both sides, not labels beside their values ("Эмитент:    ПАО ...").
GUTTER_ROWS = 3
PROSE_WORDS = 3


def _split_at_gutter(lines: list[Line]) -> list[Line] | None:
    """The lines with those that span a gutter cut in two, when two columns of prose were
    written a row at a time; None when there is no such gutter."""
    gaps = [_gaps(x) for x in lines if len(x.runs) >= 2]
    if len(gaps) < GUTTER_ROWS:
        return None
    # The gap every two-run line shares, crossed by no one-run line.
    for a, b in gaps[0]:
        lo, hi = a, b
        for others in gaps[1:]:
            hit = [(max(lo, c), min(hi, d)) for c, d in others if min(hi, d) > max(lo, c)]
            if not hit:
                break
            lo, hi = hit[0]
        else:
            # A one-run line across the gutter where the rows are (not a title above them).
            top = min(x.box.top for x in lines if len(x.runs) >= 2)
            bottom = max(x.box.bottom for x in lines if len(x.runs) >= 2)
            if any(
                x.box.left < lo and x.box.right > hi and x.box.bottom > top and x.box.top < bottom
                for x in lines
                if len(x.runs) < 2
            ):
                continue
            pieces = [p for x in lines for p in _cut(x, (lo + hi) / 2)]
            left = [p for p in pieces if p.box.right <= hi]
            right = [p for p in pieces if p.box.left >= lo]
            if _prose(left) and _prose(right):
                return pieces
    return None


def _gaps(line: Line) -> list[tuple[float, float]]:
    return [(a[2], b[1]) for a, b in itertools.pairwise(line.runs)]


def _cut(line: Line, at: float) -> list[Line]:
    if len(line.runs) < 2:
        return [line]
    sides = [[r for r in line.runs if r[2] <= at], [r for r in line.runs if r[1] >= at]]
    return [
        replace(
            line,
            text=" ".join(r[0] for r in side),
            box=Box(side[0][1], line.box.top, side[-1][2], line.box.bottom),
            runs=(),
        )
        for side in sides
        if side
    ]


def _prose(pieces: list[Line]) -> bool:
    worded = sum(len([w for w in p.text.split() if w[:1].isalpha()]) >= PROSE_WORDS for p in pieces)
    return len(pieces) >= GUTTER_ROWS and worded * 2 >= len(pieces)


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
