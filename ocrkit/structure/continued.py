"""Tables continued across pages: a table that opens a page continues the one that closed
the page before when the header row repeats or the columns stand where they stood
(`continuation`, the rule of every route). Its block says so (`continues_from_page`,
`repeated_header`), for a reader of the JSON to join the two.

Text-layer pages apply it as they are read (`ocrkit.structure.text_page`, which reads the page
before from its layer). OCR'd pages (Tesseract, a VLM, element-level), whose page before is
known only once read, go through `OcrContinuation`: a sink in front of another, pages
passing through in order, each compared with the one before; a table opens a page when the
page's text, kept furniture aside, starts with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocrkit.layout.regions import FURNITURE
from ocrkit.structure.blocks import Block, ordered
from ocrkit.structure.markup import tables_in_text

if TYPE_CHECKING:
    from ocrkit.outputs.results import PageResult
    from ocrkit.outputs.sink import PageSink
    from ocrkit.pdf.sources import Source

# How far a column's left edge may move from one page to the next, as a share of the width.
SAME_EDGE = 0.01


class OcrContinuation:
    def __init__(self, sink: PageSink) -> None:
        self.sink = sink
        self._closing: tuple[int, Block, tuple[int, int] | None] | None = None

    def add(self, source: Source, page: PageResult) -> None:
        opening, closing = edge_tables(page)
        if opening is not None and self._closing is not None:
            number, before, size = self._closing
            link = continuation(before, size, opening, page.image_size)
            if number == page.page - 1 and link is not None:
                opening.metadata.update(continues_from_page=number, **link)
        self._closing = None if closing is None else (page.page, closing, page.image_size)
        self.sink.add(source, page)

    def done(self, source: Source) -> None:
        self._closing = None
        self.sink.done(source)


def edge_tables(page: PageResult) -> tuple[Block | None, Block | None]:
    """The table block that opens an OCR'd page and the one that closes it: its first and
    last ordered blocks, furniture aside; on a whole-page VLM's page (no order), where its
    text starts or ends with a table."""
    tables = [b for b in page.blocks or [] if b.type == "table" and b.metadata.get("cells")]
    if page.source != "ocr" or not tables:
        return None, None
    body = [b for b in ordered(page.blocks) if b.type not in FURNITURE]
    if body:
        edges = [b if b.type == "table" and b.metadata.get("cells") else None for b in body]
        return edges[0], edges[-1]
    text = page.text.strip()
    found = tables_in_text(text)
    if not found or len(found) != len(tables):
        return None, None
    opening = tables[0] if found[0][0] == 0 else None
    closing = tables[-1] if found[-1][1] >= len(text) else None
    return opening, closing


def continuation(
    before: Block,
    before_size: tuple[float, float] | None,
    table: Block,
    size: tuple[float, float] | None,
) -> dict[str, bool] | None:
    """How table block `table` continues `before` (each with its page's size, in the units
    of its boxes): the same number of columns, and the header row repeated or the columns'
    left edges where they stood; None when it does not. Every route's rule."""
    a, b = _first_row(before), _first_row(table)
    if len(a) != len(b):
        return None
    repeated = [c["text"] for c in a] == [c["text"] for c in b]
    if not (repeated or _aligned(_edges(a, before_size), _edges(b, size))):
        return None
    return {"repeated_header": repeated}


def _first_row(block: Block) -> list[dict[str, Any]]:
    cells = block.metadata.get("cells") or []
    return sorted((c for c in cells if c["row"] == 0), key=lambda c: c["col"])


def _edges(row: list[dict[str, Any]], size: tuple[float, float] | None) -> list[float] | None:
    if size is None or not all(c.get("bbox") for c in row):
        return None
    return [c["bbox"][0] / size[0] for c in row]


def _aligned(a: list[float] | None, b: list[float] | None) -> bool:
    """Whether two rows' column edges (shares of the width) stand at the same places."""
    if a is None or b is None or len(a) != len(b):
        return False
    return all(abs(x - y) <= SAME_EDGE for x, y in zip(a, b, strict=True))
