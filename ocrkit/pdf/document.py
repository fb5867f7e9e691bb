"""PDF pages through PDFium (pypdfium2): checked on open, rendered one page at a time straight
at the size an engine uses, and each page's own text layer (`text_layer` reads it).

PDFium renders in-process (no process per page) and is the fastest well-kept renderer we
measured (bench/client_cost.py). It is not thread-safe, so every call holds one lock;
rendering a page takes milliseconds, far below what any OCR engine needs per page.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
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
# Pages kept loaded, with their text pages: a page's layer is read when the furniture
# finder looks ahead at it from the page two before, and its characters for the table
# finder when its own turn comes; kept, it is loaded and parsed once, not twice.
_LOADED_KEPT = 4


class _Loaded:
    """A page PDFium has loaded, and its text page once one is asked for."""

    def __init__(self, page: pdfium.PdfPage) -> None:
        self.page = page
        self._text: pdfium.PdfTextPage | None = None

    @property
    def text(self) -> pdfium.PdfTextPage:
        if self._text is None:
            self._text = self.page.get_textpage()
        return self._text

    def close(self) -> None:
        if self._text is not None:
            self._text.close()
        self.page.close()


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
            self._loaded: OrderedDict[int, _Loaded] = OrderedDict()
            # Images' rows of ink by their data (`text_layer.read_layer`), for its pages.
            self._inks: dict[bytes, bytes] = {}
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
            page = self._page(number).page
            width, height = page.get_size()  # points; the area does not change on rotation
            scale = min(dpi or 200, _MAX_DPI) / 72
            if max_pixels:
                scale = min(scale, math.sqrt(max_pixels / max(width * height, 1.0)))
            bitmap = page.render(scale=scale, grayscale=grayscale, may_draw_forms=True)
            try:
                return consume(bitmap.to_pil())
            finally:
                bitmap.close()

    def layer(self, number: int) -> PageLayer:
        """The page's own text lines, images and drawings (no text for a scan). A text layer
        PDFium cannot read counts as none, with something drawn: the page goes to OCR."""
        with _LOCK:
            loaded = self._page(number)
            try:
                return read_layer(loaded.page, loaded.text, self._inks)
            except pdfium.PdfiumError:
                width, height = loaded.page.get_size()
                return PageLayer(width, height, drawings=1)

    def chars(self, number: int, within: list[Area]) -> list[dict]:
        """The page's characters on lines that reach into `within` (`objects.read_chars`);
        none where PDFium cannot read them (the tables' cells then come out empty)."""
        with _LOCK:
            loaded = self._page(number)
            try:
                return read_chars(loaded.page, within, loaded.text)
            except pdfium.PdfiumError:
                return []

    def _page(self, number: int) -> _Loaded:
        """Page `number`, loaded now or kept from before. Call with the lock held."""
        if number in self._loaded:
            self._loaded.move_to_end(number)
            return self._loaded[number]
        self._loads += 1
        if self._loads % _REOPEN_EVERY == 0:
            self._unload()
            self._pdf.close()
            self._pdf = pdfium.PdfDocument(str(self.path))
        self._loaded[number] = _Loaded(self._pdf[number - 1])
        while len(self._loaded) > _LOADED_KEPT:
            self._loaded.popitem(last=False)[1].close()
        return self._loaded[number]

    def _unload(self) -> None:
        while self._loaded:
            self._loaded.popitem()[1].close()

    def close(self) -> None:
        with _LOCK:
            self._unload()
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
