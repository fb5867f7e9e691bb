"""`--format pdf`: the input back, searchable. Each page is kept as it is, content stream
byte for byte, and the OCR text is laid over it as invisible text (render mode 3).

- pages read from their own text layer, and failed pages, are copied through untouched,
  except for the text OCR'd from a text-layer page's pictures (a screenshot, a scanned
  exhibit), laid over each picture;
- Tesseract pages: line by line, each line on one baseline at one size and each word
  stretched to its box, with a space stretched over each gap (as OCRmyPDF's renderer does),
  so that viewers assemble the lines in order (copy, phrase search) and selecting a word
  selects that word on the image;
- pages with layout blocks (DeepSeek-OCR's grounding, the element-level mode's regions):
  each block's text in its box, a table's rows as lines of its cells;
- other VLM pages: the page's text in reading order, line by line down the page: searchable
  and copyable, not word-positioned;
- page images (PNG, JPEG, TIFF) become pages at their own resolution, text laid the same way.

fpdf2 writes the invisible text with an embedded DejaVu Sans subset and a ToUnicode map
(Cyrillic searches and copies); pikepdf (qpdf) lays each text page over its original page
as a form XObject, which leaves the original content streams as they were.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pikepdf
from fpdf import FPDF
from PIL import Image

from ocrkit.errors import InputError
from ocrkit.model.postprocess import Block
from ocrkit.outputs.formats import DocumentInfo, PageWriter
from ocrkit.outputs.results import PageResult

FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)
# DejaVu Sans' ascent and descent, in em: a word drawn at size h / (ASCENT + DESCENT) with
# its baseline ASCENT * size below the box's top fills the box exactly, so viewers and
# pdftotext give the word the box Tesseract found.
ASCENT, DESCENT = 0.928, 0.236
_MIN_SIZE = 1.0


@dataclass(frozen=True)
class Placed:
    """A run of text and the box, in PDF points from the page's top left, it must fill."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float


class SearchablePdf(PageWriter):
    """The searchable PDF of one document, its pages' text laid as they come; the file is
    written when the document is done (qpdf writes a PDF whole)."""

    def __init__(self, doc: DocumentInfo, out: BinaryIO) -> None:
        super().__init__(doc, out)
        self._image = doc.path.suffix.lower() != ".pdf"
        self._result: PageResult | None = None
        if not self._image:
            self._pdf = pikepdf.open(doc.path)
            self._overlay = _text_pdf()
            self._laid: list[tuple[int, float, float]] = []

    def _page(self, result: PageResult) -> None:
        if self._image:
            self._result = result
            return
        pictures = _pictures(result)
        if not (result.source == "ocr" and result.text.strip()) and not pictures:
            return  # its own text layer (no picture read) or a failure: untouched
        index = result.page - 1
        page = self._pdf.pages[index]
        # The page image the OCR read is PDFium's rendering of the crop box.
        x0, y0, x1, y1 = (float(v) for v in page.cropbox)
        width, height = abs(x1 - x0), abs(y1 - y0)
        rotate = int(page.obj.get("/Rotate", 0))
        if result.source == "ocr":
            placed = _placements(result, width, height, rotate)
        elif rotate % 360 == 0:
            # A text-layer page keeps its own text; only what its pictures say is added,
            # over each picture (boxes in the page's points from its top left).
            placed = [p for b in pictures for p in _lines_in_box(b.content, *_box(b))]
        else:
            return
        self._overlay.add_page(format=(width, height))
        _draw(self._overlay, placed)
        self._laid.append((index, min(x0, x1), min(y0, y1)))

    def close(self) -> None:
        if self._image:
            if self._result is not None:
                self.out.write(_over_image(self.doc.path, self._result))
            return
        pdf = self._pdf
        try:
            if not self._laid:
                _save(pdf, self.out)
                return
            with pikepdf.open(io.BytesIO(bytes(self._overlay.output()))) as text:
                for n, (index, left, bottom) in enumerate(self._laid):
                    _lay_over(pdf, pdf.pages[index], text.pages[n], left, bottom)
                _save(pdf, self.out)
        finally:
            pdf.close()


def _font() -> Path:
    for font in FONTS:
        if font.exists():
            return font
    raise InputError(
        "--format pdf needs the DejaVu Sans font for its text layer "
        "(Debian: apt-get install fonts-dejavu-core)"
    )


def _text_pdf() -> FPDF:
    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_font("dejavu", fname=str(_font()))
    pdf.set_font("dejavu", size=10)
    return pdf


def _lay_over(
    pdf: pikepdf.Pdf, page: pikepdf.Page, text: pikepdf.Page, left: float, bottom: float
) -> None:
    """Draws `text` over `page` as a form XObject, its origin at the crop box's corner
    (`left`, `bottom`). The page's own content streams stay the objects they were, bytes
    unchanged (pikepdf's add_overlay would merge them into one): new streams around them
    save and restore the graphics state, then draw the text."""
    form = pdf.copy_foreign(text.as_form_xobject())
    name = page.add_resource(form, pikepdf.Name.XObject, prefix="OcrText")
    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    streams = [s for s in streams if s is not None]
    draw = f"\nQ\nq 1 0 0 1 {left:.4f} {bottom:.4f} cm {name} Do Q\n".encode()
    page.obj.Contents = pikepdf.Array([pdf.make_stream(b"q\n"), *streams, pdf.make_stream(draw)])


def _save(pdf: pikepdf.Pdf, out: BinaryIO) -> None:
    # Streams are written as they are: the original pages' bytes do not change.
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)


def _over_image(path: Path, result: PageResult) -> bytes:
    """An image input: one page at the image's own resolution (its dpi, else 300)."""
    with Image.open(path) as image:
        dpi = image.info.get("dpi", (300, 300))[0] or 300
        width, height = image.width * 72 / float(dpi), image.height * 72 / float(dpi)
        pdf = _text_pdf()
        pdf.add_page(format=(width, height))
        pdf.image(image if image.format != "JPEG" else path, x=0, y=0, w=width, h=height)
    if result.source == "ocr":
        _draw(pdf, _placements(result, width, height, 0))
    return bytes(pdf.output())


def _pictures(result: PageResult) -> list[Block]:
    """A text-layer page's blocks of text OCR'd from its pictures (`runner._with_pictures`)."""
    if result.source != "text-layer":
        return []
    return [
        b for b in result.blocks or [] if b.metadata.get("ocr") and b.bbox and b.content.strip()
    ]


def _box(block: Block) -> tuple[float, float, float, float]:
    assert block.bbox is not None
    return block.bbox.x0, block.bbox.y0, block.bbox.x1, block.bbox.y1


def _placements(result: PageResult, width: float, height: float, rotate: int) -> list[Placed]:
    blocks = [b for b in result.blocks or [] if b.bbox is not None and b.content.strip()]
    if blocks and result.image_size and int(rotate) % 360 == 0:
        sx, sy = width / result.image_size[0], height / result.image_size[1]
        # Tesseract's words: the text itself, line by line (its table blocks only group them).
        words = [b for b in blocks if b.type == "word" and "line" in b.metadata]
        if words:
            return list(_word_lines(words, sx, sy))
        placed = []
        for block in blocks:
            assert block.bbox is not None
            x0, y0 = block.bbox.x0 * sx, block.bbox.y0 * sy
            x1, y1 = block.bbox.x1 * sx, block.bbox.y1 * sy
            placed.extend(_lines_in_box(_plain(block), x0, y0, x1, y1))
        return placed
    return list(_reading_order(result.text, width, height))


def _word_lines(words: list[Block], sx: float, sy: float) -> Iterator[Placed]:
    """Words grouped by their text line: every word of a line spans the line's height (one
    baseline, one size) and its own width; a space fills each gap to the next word."""
    lines: dict[int, list[Block]] = {}
    for word in words:
        lines.setdefault(int(word.metadata["line"]), []).append(word)
    for line in lines.values():
        boxes = [b.bbox for b in line if b.bbox is not None]
        top, bottom = min(b.y0 for b in boxes) * sy, max(b.y1 for b in boxes) * sy
        line.sort(key=lambda b: b.bbox.x0 if b.bbox else 0.0)
        for word, following in zip(line, [*line[1:], None], strict=True):
            assert word.bbox is not None
            x0, x1 = word.bbox.x0 * sx, word.bbox.x1 * sx
            yield Placed(word.content, x0, top, x1, bottom)
            if following is not None and following.bbox is not None:
                yield Placed(" ", x1, top, max(following.bbox.x0 * sx, x1 + 0.5), bottom)


def _plain(block: Block) -> str:
    """A block's words as a reader copies them: a table's rows, cells apart by spaces (not
    its Markdown pipes or HTML tags)."""
    cells = block.metadata.get("cells") if block.type == "table" else None
    if not cells:
        return block.content
    rows: dict[int, list[str]] = {}
    for cell in sorted(cells, key=lambda c: (c["row"], c["col"])):
        rows.setdefault(cell["row"], []).append(cell["text"])
    return "\n".join(" ".join(row) for row in rows.values())


def _lines_in_box(text: str, x0: float, y0: float, x1: float, y1: float) -> Iterator[Placed]:
    """A block's lines, one band of its box each."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    step = (y1 - y0) / max(len(lines), 1)
    for i, line in enumerate(lines):
        yield Placed(line, x0, y0 + i * step, x1, y0 + (i + 1) * step)


def _reading_order(text: str, width: float, height: float) -> Iterator[Placed]:
    """No boxes: the text's lines down the page, within its margins."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    margin = 0.08 * width
    step = min(14.0, (height - 2 * margin) / max(len(lines), 1))
    for i, line in enumerate(lines):
        top = margin + i * step
        right = min(width - margin, margin + 0.5 * step * len(line))
        yield Placed(line, margin, top, right, top + step)


def _draw(pdf: FPDF, placed: list[Placed]) -> None:
    pdf.text_mode = "INVISIBLE"
    for p in placed:
        size = max((p.y1 - p.y0) / (ASCENT + DESCENT), _MIN_SIZE)
        pdf.set_font_size(size)
        pdf.set_stretching(100)
        natural = pdf.get_string_width(p.text)
        if natural > 0:
            pdf.set_stretching(100 * max(p.x1 - p.x0, 1.0) / natural)
        pdf.text(p.x0, p.y0 + ASCENT * size, p.text)
    pdf.set_stretching(100)
    pdf.text_mode = "FILL"
