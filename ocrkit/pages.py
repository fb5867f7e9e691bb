"""Documents opened for OCR: validated up front, then rendered one page at a time."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from ocrkit.images import ImageError, PageImage, encode, load_image
from ocrkit.inputs import Input, InputError
from ocrkit.pdf import PdfFile


@dataclass(frozen=True)
class RenderTarget:
    """How an engine wants its pages: a pixel budget and/or a resolution, and an encoding."""

    max_pixels: int | None = None
    dpi: int | None = None
    grayscale: bool = False
    jpeg_quality: int | None = 90  # None: lossless PNG


@dataclass(frozen=True)
class OpenDocument:
    path: Path
    kind: str  # "pdf" | "image"
    sha256: str
    page_count: int
    pdf: PdfFile | None = field(default=None, compare=False, repr=False)

    def close(self) -> None:
        if self.pdf is not None:
            self.pdf.close()


def open_document(inp: Input) -> OpenDocument:
    """Checks the whole file before any page is sent anywhere; raises InputError."""
    try:
        digest = _sha256(inp.path)
    except OSError as exc:
        raise InputError(f"{inp.path}: cannot be read ({exc.strerror})") from None
    if inp.kind == "pdf":
        pdf = PdfFile(inp.path)
        return OpenDocument(inp.path, "pdf", digest, pdf.page_count, pdf)
    try:
        load_image(inp.path.read_bytes())
    except ImageError as exc:
        raise InputError(f"{inp.path}: {exc}") from None
    return OpenDocument(inp.path, "image", digest, 1)


def render_page(doc: OpenDocument, number: int, target: RenderTarget) -> PageImage:
    """Page `number` (1-based) as the engine wants it. Blocking: run it in a thread."""

    def to_target(img: Image.Image) -> PageImage:
        mode = "L" if target.grayscale else "RGB"
        img = img if img.mode == mode else img.convert(mode)
        return encode(img, lossy=target.jpeg_quality is not None, quality=target.jpeg_quality or 95)

    if doc.pdf is not None:
        return doc.pdf.render(
            number,
            to_target,
            max_pixels=target.max_pixels,
            dpi=target.dpi,
            grayscale=target.grayscale,
        )
    page = load_image(doc.path.read_bytes(), max_pixels=target.max_pixels)
    if not target.grayscale:
        return page
    return to_target(Image.open(io.BytesIO(page.data)))


def text_layer(doc: OpenDocument, number: int) -> str:
    return doc.pdf.text_layer(number) if doc.pdf is not None else ""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
