"""The input documents of a run: each checked (and closed) before any page is sent, then
opened again only while its pages are being read, one page rendered at a time."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image

from ocrkit.errors import ImageError, InputError
from ocrkit.model.images import PageImage, encode, load_image
from ocrkit.pdf.document import PdfFile
from ocrkit.pdf.inputs import Input
from ocrkit.pdf.objects import Area
from ocrkit.pdf.text_layer import PageLayer

T = TypeVar("T")
_LAYERS_KEPT = 8


@dataclass(frozen=True)
class RenderTarget:
    """How an engine wants its pages: a pixel budget and/or a resolution, and an encoding."""

    max_pixels: int | None = None
    dpi: int | None = None
    grayscale: bool = False
    jpeg_quality: int | None = 90  # None: lossless PNG
    # Lossless without compression (PNM), for an engine on this machine (Tesseract):
    # nothing is sent over a network, and compressing costs more than reading.
    uncompressed: bool = False


@dataclass(frozen=True)
class Source:
    """An input that passed its checks: what it is, its content hash and page count."""

    path: Path
    kind: str  # "pdf" | "image"
    sha256: str
    page_count: int


def check_source(inp: Input) -> Source:
    """Reads the whole file once and closes it; raises InputError when it is unusable.
    Blocking: run it in a thread."""
    try:
        digest = _sha256(inp.path)
    except OSError as exc:
        raise InputError(f"{inp.path}: cannot be read ({exc.strerror})") from None
    if inp.kind == "pdf":
        pdf = PdfFile(inp.path)
        pdf.close()
        return Source(inp.path, "pdf", digest, pdf.page_count)
    try:
        load_image(inp.path.read_bytes())
    except ImageError as exc:
        raise InputError(f"{inp.path}: {exc}") from None
    return Source(inp.path, "image", digest, 1)


# PDFium is not thread-safe, so its calls run one at a time anyway (ocrkit.pdf.document's
# lock). Running them all on one thread as well keeps its memory in one malloc arena: spread
# over the default executor's threads, glibc's per-thread arenas fragment, and a 10,000-page
# run peaked 60% higher than a 1,000-page one.
_PDF_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocrkit-pdf")


async def in_pdf_thread(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` on the one thread that reads documents."""
    return await asyncio.get_running_loop().run_in_executor(_PDF_THREAD, fn, *args)


class SourceDocument:
    """A checked source, opened for reading its pages; `close()` when done with it."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._pdf = PdfFile(source.path) if source.kind == "pdf" else None
        self._layers: OrderedDict[int, PageLayer] = OrderedDict()
        # Per-document state of the page structure built on top (`ocrkit.structure.
        # layer_document.LayerDocument`, kept here so that it lives and dies with the
        # document whichever runner opened it).
        self.memo: dict[str, Any] = {}

    def render(self, number: int, target: RenderTarget) -> PageImage:
        """Page `number` (1-based) as the engine wants it. Blocking: run it in a thread."""

        def to_target(img: Image.Image) -> PageImage:
            mode = "L" if target.grayscale else "RGB"
            img = img if img.mode == mode else img.convert(mode)
            lossy = target.jpeg_quality is not None
            return encode(
                img,
                lossy=lossy,
                quality=target.jpeg_quality or 95,
                uncompressed=target.uncompressed,
            )

        if self._pdf is not None:
            return self._pdf.render(
                number,
                to_target,
                max_pixels=target.max_pixels,
                dpi=target.dpi,
                grayscale=target.grayscale,
            )
        page = load_image(self.source.path.read_bytes(), max_pixels=target.max_pixels)
        if not target.grayscale:
            return page
        return to_target(page.image())

    def render_region(
        self, number: int, target: RenderTarget, box: tuple[float, float, float, float]
    ) -> PageImage:
        """The part of PDF page `number` inside `box` (PDF points from the top left), as the
        engine wants it. Blocking: run it in a thread."""
        assert self._pdf is not None
        layer = self.layer(number)
        assert layer is not None

        def crop(img: Image.Image) -> PageImage:
            sx, sy = img.width / layer.width, img.height / layer.height
            left, top, right, bottom = box
            region = img.crop((int(left * sx), int(top * sy), int(right * sx), int(bottom * sy)))
            mode = "L" if target.grayscale else "RGB"
            region = region if region.mode == mode else region.convert(mode)
            lossy = target.jpeg_quality is not None
            return encode(
                region,
                lossy=lossy,
                quality=target.jpeg_quality or 95,
                uncompressed=target.uncompressed,
            )

        return self._pdf.render(
            number, crop, max_pixels=None, dpi=target.dpi, grayscale=target.grayscale
        )

    def layer(self, number: int) -> PageLayer | None:
        """The page's own text layer; None for an image input. Blocking. The last few are
        kept: the furniture finder reads a page's neighbours, which are read next."""
        if self._pdf is None:
            return None
        if number not in self._layers:
            self._layers[number] = self._pdf.layer(number)
            while len(self._layers) > _LAYERS_KEPT:
                self._layers.popitem(last=False)
        return self._layers[number]

    @property
    def page_count(self) -> int:
        return self.source.page_count

    def chars(self, number: int, within: list[Area]) -> list[dict]:
        """Page `number`'s characters on the lines that reach into `within` (for the table
        finder); none for an image input. Blocking."""
        return self._pdf.chars(number, within) if self._pdf is not None else []

    def close(self) -> None:
        self.memo.clear()
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
