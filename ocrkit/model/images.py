"""Page images: decode and check untrusted bytes, fit them to a model's pixel budget, encode.

Everything that accepts an image from outside (the adapter's `/ocr`, the client's image
files) goes through `load_image` so that a bad input fails here, with a clear message,
before anything is sent to a GPU server.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

from ocrkit.errors import ImageError

# Formats a page image may come in; GIFs contribute their first frame.
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF")
# Sent upstream as they are when no resize is needed: every VLM server decodes them.
_PASSTHROUGH = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# Qwen2-VL sees 28x28-pixel blocks: anything smaller than one block carries no text.
MIN_SIDE = 28
# Qwen2-VL's processor rejects more extreme shapes than this.
MAX_ASPECT = 200
_ORIENTATION = 0x0112
# The one hard limit on a page image's declared size (~ an A3 page at 600 dpi); beyond it,
# a decompression bomb. The adapter's ADAPTER_MAX_IMAGE_PIXELS defaults to it.
DEFAULT_MAX_PIXELS = 64_000_000

_DATA_URI = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(;[\w=.+-]+)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(rb"\s+")


class InvalidBase64(ImageError):
    pass


class UndecodableImage(ImageError):
    pass


class UnsupportedFormat(ImageError):
    pass


class ImageTooLarge(ImageError):
    pass


class ImageTooSmall(ImageError):
    pass


class ExtremeAspectRatio(ImageError):
    """A strip of a page (200:1 or thinner), which the models' processors refuse."""


@dataclass(frozen=True)
class PageImage:
    """A checked image, ready to send: `data` in `mime`, `width` x `height` after fitting."""

    data: bytes
    mime: str
    width: int
    height: int
    source_format: str
    source_size: tuple[int, int]
    # The pixels `data` holds losslessly, where they are at hand: a page just rendered is
    # not decoded again (a 300 dpi page: ~70 ms). Never compared, never sent.
    pixels: Image.Image | None = field(default=None, compare=False, repr=False)

    @property
    def resized(self) -> bool:
        return (self.width, self.height) != self.source_size

    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def image(self) -> Image.Image:
        """The pixels, decoded (blocking), in the mode they were encoded in."""
        if self.pixels is not None:
            return self.pixels.copy()  # the caller's own, as a decoded one would be
        with Image.open(io.BytesIO(self.data)) as img:
            img.load()
            return img


def decode_base64(text: str) -> bytes:
    """Strict base64 (a `data:` URI prefix and line breaks are accepted)."""
    raw = _DATA_URI.sub("", text.strip(), count=1).encode("ascii", "replace")
    raw = _WHITESPACE.sub(b"", raw)
    if not raw:
        raise InvalidBase64("image is empty")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidBase64(f"image is not valid base64: {exc}") from None


def load_image(
    data: bytes,
    *,
    max_pixels: int | None = None,
    limit_pixels: int = DEFAULT_MAX_PIXELS,
) -> PageImage:
    """Check `data` and fit it to `max_pixels` (the model's budget; None keeps the size).

    `limit_pixels` is the hard limit on the declared size, checked before any pixel is
    decoded, so a small file claiming 20000x20000 pixels costs nothing.
    """
    img = _open(data)
    width, height = img.size
    if width * height > limit_pixels:
        raise ImageTooLarge(
            f"image is {width}x{height} = {width * height:,} pixels; the limit is {limit_pixels:,}"
        )
    if min(width, height) < MIN_SIDE:
        raise ImageTooSmall(
            f"image is {width}x{height} pixels; OCR needs at least {MIN_SIDE}x{MIN_SIDE}"
        )
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise ExtremeAspectRatio(f"image is {width}x{height}: aspect ratio over {MAX_ASPECT}:1")
    fmt = img.format or "UNKNOWN"
    target = fit_size((width, height), max_pixels)
    if fmt == "JPEG" and target != (width, height):
        # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 on the way: far less to decode.
        img.draft("RGB", target)
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise UndecodableImage(f"image data is corrupt or truncated: {exc}") from None

    rotated = img.getexif().get(_ORIENTATION, 1) not in (1, None)
    # Phone photos of pages carry a rotation tag that not every server applies.
    oriented = ImageOps.exif_transpose(img) if rotated else img
    target = fit_size(oriented.size, max_pixels)
    if target == (width, height) and not rotated and fmt in _PASSTHROUGH:
        return PageImage(data, _PASSTHROUGH[fmt], width, height, fmt, (width, height))
    page = _to_rgb(oriented)
    resized = target != page.size
    if resized:
        page = page.resize(target, Image.Resampling.BICUBIC, reducing_gap=2.0)
    # A fitted page goes out as JPEG q90: it reads as well as PNG and encodes ~4x faster
    # (bench/client_cost.py); a page sent at its own size keeps a lossless source lossless.
    return encode(
        page,
        source_format=fmt,
        source_size=(width, height),
        lossy=resized or fmt == "JPEG",
        quality=90 if resized else 95,
    )


def fit_size(size: tuple[int, int], max_pixels: int | None) -> tuple[int, int]:
    """The largest size with the same aspect ratio and at most `max_pixels` pixels."""
    width, height = size
    if max_pixels is None or width * height <= max_pixels:
        return size
    scale = math.sqrt(max_pixels / (width * height))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def encode(
    page: Image.Image,
    *,
    source_format: str = "RGB",
    source_size: tuple[int, int] | None = None,
    lossy: bool = False,
    quality: int = 95,
    uncompressed: bool = False,
) -> PageImage:
    """PNG at the fastest level, or JPEG at `quality` (where the source was lossy already,
    re-encoding it losslessly only makes it bigger); `uncompressed`: PNM, the pixels as
    they are, for an engine on this machine that reads them at once (a 300 dpi page is
    written in milliseconds, not the fifth of a second PNG takes, and read as fast)."""
    buf = io.BytesIO()
    if lossy:
        page.save(buf, "JPEG", quality=quality)
        mime = "image/jpeg"
    elif uncompressed:
        page.save(buf, "PPM")  # PGM for grey, PPM for colour
        mime = "image/x-portable-anymap"
    else:
        page.save(buf, "PNG", compress_level=1)
        mime = "image/png"
    size = source_size or page.size
    pixels = None if lossy else page  # a JPEG's decoded pixels are not the ones encoded
    return PageImage(buf.getvalue(), mime, page.width, page.height, source_format, size, pixels)


def _open(data: bytes) -> Image.Image:
    if not data:
        raise UndecodableImage("image is empty")
    try:
        with warnings.catch_warnings():
            # Sizes are checked against our own limit next; Pillow's warning is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        raise _classify(data) from None
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"image is too large: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UndecodableImage(f"image header is corrupt: {exc}") from None
    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)
    return img


def _classify(data: bytes) -> ImageError:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        return UnsupportedFormat("SVG is not supported; send a raster image (PNG, JPEG, ...)")
    if head.startswith(b"%pdf"):
        return UnsupportedFormat("a PDF is not an image; send its pages as images")
    try:
        other = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return UndecodableImage("data is not a recognised image")
    return UnsupportedFormat(
        f"{other.format} images are not supported; use one of {', '.join(ALLOWED_FORMATS)}"
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent areas of a scanned page are paper: composite on white, not black.
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")
