"""PDF pages through PDFium (pypdfium2): checked on open, rendered one page at a time straight
at the size an engine uses, and each page's own text layer (`text_layer` reads it).

PDFium renders in-process (no process per page) and is the fastest well-kept renderer we
measured (bench/client_cost.py). It is not thread-safe, so every call holds one lock;
rendering a page takes milliseconds, far below what any OCR engine needs per page.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pypdfium2 as pdfium
from PIL import Image

from ocrkit.pdf.inputs import InputError
from ocrkit.pdf.objects import Area, read_chars
from ocrkit.pdf.text_layer import PageLayer, read_layer

_LOCK = threading.Lock()
T = TypeVar("T")
# PDFium keeps what it parsed of every page it has loaded for as long as the document is
# open; reopening now and then keeps memory flat on a 3,000-page file.
_REOPEN_EVERY = 64
_MAX_DPI = 600


class PdfError(InputError):
    """The file cannot be read as a PDF (corrupt, encrypted, empty, not a PDF)."""


class PdfFile:
    """An open PDF. Pages are loaded only while they are rendered or read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as f:
            head = f.read(1024)
        if b"%PDF-" not in head:
            raise PdfError(f"{path}: not a PDF (no %PDF header)")
        with _LOCK:
            try:
                self._pdf = pdfium.PdfDocument(str(path))
            except pdfium.PdfiumError as exc:
                raise _explain(path, str(exc)) from None
            self.page_count = len(self._pdf)
            self._loads = 0
        if self.page_count == 0:
            self.close()
            raise PdfError(f"{path}: the PDF has no pages")

    def render(
        self,
        number: int,
        consume: Callable[[Image.Image], T],
        *,
        max_pixels: int | None,
        dpi: int | None,
        grayscale: bool = False,
    ) -> T:
        """Page `number` (1-based) at `dpi`, or smaller to fit `max_pixels`, handed to
        `consume` (which encodes it) while PDFium's buffer is valid: no copy is made."""
        with _LOCK:
            page = self._page(number)
            try:
                width, height = page.get_size()  # points; the area does not change on rotation
                scale = min(dpi or 200, _MAX_DPI) / 72
                if max_pixels:
                    scale = min(scale, math.sqrt(max_pixels / max(width * height, 1.0)))
                bitmap = page.render(scale=scale, grayscale=grayscale, may_draw_forms=True)
                try:
                    return consume(bitmap.to_pil())
                finally:
                    bitmap.close()
            finally:
                page.close()

    def layer(self, number: int) -> PageLayer:
        """The page's own text lines, images and drawings (no text for a scan). A text layer
        PDFium cannot read counts as none, with something drawn: the page goes to OCR."""
        with _LOCK:
            page = self._page(number)
            try:
                return read_layer(page)
            except pdfium.PdfiumError:
                width, height = page.get_size()
                return PageLayer(width, height, drawings=1)
            finally:
                page.close()

    def chars(self, number: int, within: list[Area]) -> list[dict]:
        """The page's characters on lines that reach into `within` (`objects.read_chars`);
        none where PDFium cannot read them (the tables' cells then come out empty)."""
        with _LOCK:
            page = self._page(number)
            try:
                return read_chars(page, within)
            except pdfium.PdfiumError:
                return []
            finally:
                page.close()

    def _page(self, number: int) -> pdfium.PdfPage:
        """Call with the lock held."""
        self._loads += 1
        if self._loads % _REOPEN_EVERY == 0:
            self._pdf.close()
            self._pdf = pdfium.PdfDocument(str(self.path))
        return self._pdf[number - 1]

    def close(self) -> None:
        with _LOCK:
            self._pdf.close()


def _explain(path: Path, error: str) -> PdfError:
    if "password" in error.lower():
        return PdfError(
            f"{path}: the PDF is encrypted with a password; decrypt it first "
            "(e.g. qpdf --decrypt --password=... in.pdf out.pdf)"
        )
    if "PDFium: Success" in error:
        # PDFium refuses a document whose page tree is empty, without an error code.
        return PdfError(f"{path}: the PDF has no pages")
    return PdfError(f"{path}: corrupt or truncated PDF ({error})")
