"""A born-digital document's page structure from its text layer, page by page: ruled tables
(`tables.lattice_tables` on the rules and characters PDFium read), tables of aligned
columns, furniture found by comparing a page with its neighbours, and a table that goes on
from the page before (`text_page.closing_table`). The last few pages' tables are remembered:
the next page's continuation and the furniture finder look back at them.

It reads through a `Pages` (`ocrkit.pdf.SourceDocument`): the layer of any page, and the
characters of a page inside given areas.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from ocrkit.pdf.gate import Gate, Route, judge, readable
from ocrkit.pdf.objects import Area
from ocrkit.pdf.text_layer import PageLayer
from ocrkit.structure.blocks import Block
from ocrkit.structure.coded import coded_tables
from ocrkit.structure.furniture import Furniture, FurnitureFinder
from ocrkit.structure.tables import Table, aligned_tables, lattice_tables
from ocrkit.structure.text_page import closing_table, in_tables, read_page

_KEPT = 8  # pages whose tables are remembered
# What `--route text` says of every page it reads: its layer, whatever the gate would find.
FORCED = Gate(route="text-layer", reason="--route text: the text layer as it is, never OCR")


@dataclass(frozen=True)
class LayerPage:
    """A PDF page as its own text layer gives it: the gate's verdict (None: the source has
    no text layer, an image) and, where the page is read from its layer, its text, blocks
    and size in points. What a worker process hands back (`ocrkit.layer_workers`)."""

    gate: Gate | None
    text: str = ""
    blocks: list[Block] | None = None
    size: tuple[float, float] | None = None


class Pages(Protocol):
    """What the structure reads of a document."""

    @property
    def page_count(self) -> int: ...

    def layer(self, number: int) -> PageLayer | None: ...

    def chars(self, number: int, within: list[Area]) -> list[dict]: ...


class LayerDocument:
    """The structure of one document's text-layer pages, read by `route` ("auto": where
    the gate lets them; "text": every page); blocking (run it on the thread that reads the
    document).

    A page's result depends on the document alone, never on which pages were read before
    it: a worker process that starts halfway through the document reads each page as a
    run through the whole of it does (the page before is judged and taken as it would be
    read itself)."""

    def __init__(self, pages: Pages, route: Route = "auto") -> None:
        self._pages, self._route = pages, route
        self._furniture = FurnitureFinder(pages.layer, pages.page_count)
        self._tables: OrderedDict[int, list[Table]] = OrderedDict()
        self._judged: OrderedDict[int, tuple[Gate, PageLayer] | None] = OrderedDict()

    def page(self, number: int, *, keep_furniture: bool = False) -> LayerPage:
        """Page `number` judged by the gate and, where it passes, read from its layer."""
        judged = self._judge(number)
        if judged is None:
            return LayerPage(None)
        gate, layer = judged
        if gate.route != "text-layer":
            return LayerPage(gate)
        text, blocks = self._text_of(number, layer, keep_furniture=keep_furniture)
        return LayerPage(gate, text, blocks, (layer.width, layer.height))

    def _judge(self, number: int) -> tuple[Gate, PageLayer] | None:
        """The gate's verdict on the page, and its layer as the page is read: without the
        lines the gate sends to OCR as regions (set in a font with no Unicode map)."""
        if number not in self._judged:
            layer = self._pages.layer(number)
            judged = None
            if layer is not None:
                gate = judge(layer) if self._route == "auto" else FORCED
                judged = gate, readable(layer) if gate.pictures else layer
            self._judged[number] = judged
            while len(self._judged) > _KEPT:
                self._judged.popitem(last=False)
        return self._judged[number]

    def _text_of(
        self, number: int, layer: PageLayer, *, keep_furniture: bool = False
    ) -> tuple[str, list[Block] | None]:
        """Page `number`'s text from its layer: its tables in place, its furniture out (or
        kept inline), and their blocks."""
        tables, furniture = self._structure(number, layer)
        continues = None
        if tables and number > 1 and (before := self._judge(number - 1)) is not None:
            _, above = before
            continues = closing_table(number - 1, above, *self._structure(number - 1, above))
        return read_page(
            layer, tables, furniture, keep_furniture=keep_furniture, continues=continues
        )

    def _structure(self, number: int, layer: PageLayer) -> tuple[list[Table], list[Furniture]]:
        if number not in self._tables:
            ruled = lattice_tables(layer, lambda areas: self._pages.chars(number, areas))
            rest = [line for line in layer.lines if not in_tables(line, ruled)]
            coded = coded_tables(rest)
            rest = [line for line in rest if not in_tables(line, coded)]
            self._tables[number] = sorted(
                ruled + coded + aligned_tables(rest), key=lambda t: t.box.top
            )
            while len(self._tables) > _KEPT:
                self._tables.popitem(last=False)
        tables = self._tables[number]
        # A table's repeated header row at the top of the next page is not a running header.
        furniture = [
            f for f in self._furniture.find(number, layer) if not in_tables(f.line, tables)
        ]
        return tables, furniture


class Memo(Pages, Protocol):
    memo: dict


def layer_document(doc: Memo, route: Route = "auto") -> LayerDocument:
    """The structure kept with an open document (`SourceDocument.memo`), one per route:
    made on its first page read from its layer, dropped when it closes."""
    key = ("layer_document", route)
    found = doc.memo.get(key)
    if not isinstance(found, LayerDocument):
        found = doc.memo[key] = LayerDocument(doc, route)
    return found


def read_from_layer(
    doc: Memo, number: int, route: Route = "auto", keep_furniture: bool = False
) -> LayerPage:
    """Page `number` of an open document by its text layer (`LayerDocument.page`)."""
    return layer_document(doc, route).page(number, keep_furniture=keep_furniture)
