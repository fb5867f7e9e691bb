"""What a run produces: the results (`results`) and the files made from them (`formats`:
Markdown, text, JSON, JSON Lines; `searchable`: the PDF with a text layer; `review`: the HTML
review page)."""

from typing import TYPE_CHECKING

from ocrkit._lazy import lazy_exports

if TYPE_CHECKING:
    from ocrkit.outputs.formats import Format, default_path, render, save
    from ocrkit.outputs.results import Document, PageResult

_EXPORTS = {
    "Document": ".results",
    "PageResult": ".results",
    "Format": ".formats",
    "default_path": ".formats",
    "render": ".formats",
    "save": ".formats",
}
__all__ = [
    "Document",
    "Format",
    "PageResult",
    "default_path",
    "render",
    "save",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
