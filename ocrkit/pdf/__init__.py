"""The PDF side: which files a run reads (`inputs`), each document opened and checked
(`sources`), its pages rendered through PDFium (`document`), its own text layer read
(`text_layer`) and judged (`gate`: read the page from its layer, or OCR it)."""

from typing import TYPE_CHECKING

from ocrkit._lazy import lazy_exports

if TYPE_CHECKING:
    from ocrkit.pdf.document import PdfError, PdfFile
    from ocrkit.pdf.gate import Gate, Route, judge
    from ocrkit.pdf.inputs import Input, collect, parse_pages
    from ocrkit.pdf.sources import RenderTarget, Source, SourceDocument, check_source
    from ocrkit.pdf.text_layer import PageLayer, read_layer

_EXPORTS = {
    "PdfError": ".document",
    "PdfFile": ".document",
    "Gate": ".gate",
    "Route": ".gate",
    "judge": ".gate",
    "Input": ".inputs",
    "collect": ".inputs",
    "parse_pages": ".inputs",
    "RenderTarget": ".sources",
    "Source": ".sources",
    "SourceDocument": ".sources",
    "check_source": ".sources",
    "PageLayer": ".text_layer",
    "read_layer": ".text_layer",
}
__all__ = [
    "Gate",
    "Input",
    "PageLayer",
    "PdfError",
    "PdfFile",
    "RenderTarget",
    "Route",
    "Source",
    "SourceDocument",
    "check_source",
    "collect",
    "judge",
    "parse_pages",
    "read_layer",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
