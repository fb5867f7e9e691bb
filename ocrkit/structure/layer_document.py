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
from typing import Protocol

from ocrkit.pdf.objects import Area
from ocrkit.pdf.text_layer import PageLayer
from ocrkit.structure.blocks import Block
from ocrkit.structure.furniture import Furniture, FurnitureFinder
from ocrkit.structure.tables import Table, aligned_tables, lattice_tables
from ocrkit.structure.text_page import closing_table, in_tables, read_page

_KEPT = 8  # pages whose tables are remembered


class Pages(Protocol):
    """What the structure reads of a document."""

    @property
    def page_count(self) -> int: ...

    def layer(self, number: int) -> PageLayer | None: ...

    def chars(self, number: int, within: list[Area]) -> list[dict]: ...


class LayerDocument:
    """The structure of one document's text-layer pages; blocking (run it on the thread
    that reads the document)."""

    def __init__(self, pages: Pages) -> None:
        self._pages = pages
        self._furniture = FurnitureFinder(pages.layer, pages.page_count)
        self._tables: OrderedDict[int, list[Table]] = OrderedDict()

    def text_of(
        self, number: int, layer: PageLayer, *, keep_furniture: bool = False
    ) -> tuple[str, list[Block] | None]:
        """Page `number`'s text from its layer: its tables in place, its furniture out (or
        kept inline), and their blocks."""
        tables, furniture = self._structure(number, layer)
        continues = None
        if tables and number > 1 and (before := self._pages.layer(number - 1)) is not None:
            continues = closing_table(number - 1, before, *self._structure(number - 1, before))
        return read_page(
            layer, tables, furniture, keep_furniture=keep_furniture, continues=continues
        )

    def _structure(self, number: int, layer: PageLayer) -> tuple[list[Table], list[Furniture]]:
        if number not in self._tables:
            ruled = lattice_tables(layer, lambda areas: self._pages.chars(number, areas))
            rest = [line for line in layer.lines if not in_tables(line, ruled)]
            self._tables[number] = sorted(ruled + aligned_tables(rest), key=lambda t: t.box.top)
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


def layer_document(doc: Memo) -> LayerDocument:
    """The structure kept with an open document (`SourceDocument.memo`): made on its first
    text-layer page, dropped when it closes."""
    found = doc.memo.get("layer_document")
    if not isinstance(found, LayerDocument):
        found = doc.memo["layer_document"] = LayerDocument(doc)
    return found
