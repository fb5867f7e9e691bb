"""Page structure, whatever read the page: one block and table model (`blocks`: paragraphs,
titles, tables, furniture, words, with boxes; `tables`: a table's grid and cells; `markup`:
tables as Markdown or HTML), fed by each source:

- a PDF's text layer (`layer_document`, page by page: tables from the PDF's own rules or
  aligned columns in `tables`, furniture in `furniture`, put together with the rest
  reflowed into paragraphs in `text_page`);
- an OCR engine's words (`words`: rows, paragraphs and aligned tables; `ruled`: tables ruled
  on the image; `skew`: a scan fed in askew, its tables found on it turned level;
  `ocr_furniture`; `formulas`, `letter_sizes`, `digit_groups`: what Tesseract's reading
  needs mended);
- a VLM's reply (`markup`: the HTML, OTSL or Markdown tables it writes);

and tables continued across pages on every route (`continued`). `ocrkit.pdf` reads PDFs;
`ocrkit.layout` finds regions on a page image.
"""

from typing import TYPE_CHECKING

from ocrkit._lazy import lazy_exports

if TYPE_CHECKING:
    from ocrkit.structure.blocks import BBox, Block, PageText, as_markdown, ordered
    from ocrkit.structure.layer_document import LayerDocument, layer_document
    from ocrkit.structure.ruled import ruled_tables
    from ocrkit.structure.tables import Table, aligned_tables, lattice_tables
    from ocrkit.structure.text_page import read_page
    from ocrkit.structure.words import with_tables

_EXPORTS = {
    "BBox": ".blocks",
    "Block": ".blocks",
    "PageText": ".blocks",
    "as_markdown": ".blocks",
    "ordered": ".blocks",
    "LayerDocument": ".layer_document",
    "layer_document": ".layer_document",
    "ruled_tables": ".ruled",
    "Table": ".tables",
    "lattice_tables": ".tables",
    "aligned_tables": ".tables",
    "read_page": ".text_page",
    "with_tables": ".words",
}
__all__ = [
    "BBox",
    "Block",
    "LayerDocument",
    "PageText",
    "Table",
    "aligned_tables",
    "as_markdown",
    "lattice_tables",
    "layer_document",
    "ordered",
    "read_page",
    "ruled_tables",
    "with_tables",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
