"""Where a run's finished pages go, in order: the interface between the runner and whatever
consumes pages (output files, the library's documents, the stages that look at pages in
sequence: furniture and tables continued across OCR'd pages)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ocrkit.outputs.results import PageResult
    from ocrkit.pdf.sources import Source


class PageSink(Protocol):
    """Where finished pages go, in order. Blocking calls: the runner makes them in a thread,
    one at a time."""

    def add(self, source: Source, page: PageResult) -> None: ...

    def done(self, source: Source) -> None:
        """Every selected page of `source` was added."""
