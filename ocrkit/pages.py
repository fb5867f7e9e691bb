"""Documents opened for OCR: validated up front, then rendered one page at a time."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ocrkit import pdf
from ocrkit.images import ImageError, PageImage, encode, load_image
from ocrkit.inputs import Input, InputError


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
    kind: str
    sha256: str
    pages: tuple[pdf.PdfPage, ...]  # empty for an image: it is one page

    @property
    def page_count(self) -> int:
        return len(self.pages) or 1


def open_document(inp: Input) -> OpenDocument:
    """Checks the whole file before any page is sent anywhere; raises InputError."""
    try:
        digest = _sha256(inp.path)
    except OSError as exc:
        raise InputError(f"{inp.path}: cannot be read ({exc.strerror})") from None
    if inp.kind == "pdf":
        return OpenDocument(inp.path, "pdf", digest, tuple(pdf.inspect(inp.path)))
    try:
        load_image(inp.path.read_bytes())
    except ImageError as exc:
        raise InputError(f"{inp.path}: {exc}") from None
    return OpenDocument(inp.path, "image", digest, ())


def render_page(doc: OpenDocument, number: int, target: RenderTarget) -> PageImage:
    """Page `number` (1-based) as the engine wants it. Blocking: run it in a thread."""
    if doc.kind == "image":
        page = load_image(doc.path.read_bytes(), max_pixels=target.max_pixels)
        if not target.grayscale and target.jpeg_quality is None:
            return page
        img = Image.open(io.BytesIO(page.data))
    else:
        spec = doc.pages[number - 1]
        size = pdf.pixel_size(spec, max_pixels=target.max_pixels, dpi=target.dpi)
        img = pdf.render(doc.path, spec, size, grayscale=target.grayscale)
    img = img.convert("L" if target.grayscale else "RGB")
    return encode(img, lossy=target.jpeg_quality is not None, quality=target.jpeg_quality or 95)


def text_layer(doc: OpenDocument, number: int) -> str:
    return pdf.text_layer(doc.path, number) if doc.kind == "pdf" else ""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
