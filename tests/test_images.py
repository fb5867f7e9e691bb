"""ocrkit.model.images: every untrusted image is decoded, checked and fitted here."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from harness.images import bomb_png, page_png
from ocrkit.model.images import (
    ExtremeAspectRatio,
    ImageTooLarge,
    ImageTooSmall,
    InvalidBase64,
    UndecodableImage,
    UnsupportedFormat,
    decode_base64,
    fit_size,
    load_image,
)


def save(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_base64_accepts_data_uri_and_line_breaks() -> None:
    png = page_png(100, 100)
    b64 = base64.b64encode(png).decode()
    assert decode_base64(b64) == png
    assert decode_base64("data:image/png;base64," + b64) == png
    wrapped = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    assert decode_base64(wrapped) == png


@pytest.mark.parametrize(
    "text", ["", "   ", "abc", "not base64!!", "QUJD$", "data:image/png;base64,"]
)
def test_bad_base64_is_refused(text: str) -> None:
    with pytest.raises(InvalidBase64):
        decode_base64(text)


def test_truncated_base64_is_refused() -> None:
    b64 = base64.b64encode(page_png(100, 100)).decode()
    with pytest.raises(InvalidBase64):
        decode_base64(b64[:-3])


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF"])
def test_allowed_formats_load(fmt: str) -> None:
    img = Image.new("RGB", (300, 200), "white")
    page = load_image(save(img, fmt), max_pixels=1_000_000)
    assert (page.width, page.height) == (300, 200)
    assert page.source_format == fmt
    Image.open(io.BytesIO(page.data)).verify()


def test_png_within_budget_is_passed_through_unchanged() -> None:
    png = page_png(600, 800)
    page = load_image(png, max_pixels=1003520)
    assert page.data == png and page.mime == "image/png" and not page.resized


def test_large_page_is_fitted_to_the_budget_keeping_the_aspect() -> None:
    page = load_image(page_png(2480, 3508), max_pixels=1003520)
    assert page.resized
    assert page.width * page.height <= 1003520
    assert abs(page.width / page.height - 2480 / 3508) < 0.01
    assert Image.open(io.BytesIO(page.data)).size == (page.width, page.height)


def test_transparent_png_becomes_white_not_black() -> None:
    img = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    page = load_image(save(img, "PNG"), max_pixels=5000)
    assert Image.open(io.BytesIO(page.data)).convert("RGB").getpixel((10, 10)) == (255, 255, 255)


def test_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (64, 64), c) for c in ("white", "black")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    page = load_image(buf.getvalue(), max_pixels=1000)
    assert Image.open(io.BytesIO(page.data)).convert("RGB").getpixel((5, 5)) == (255, 255, 255)


def test_exif_rotation_is_applied() -> None:
    img = Image.new("RGB", (300, 100), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90
    page = load_image(save(img, "JPEG", exif=exif))
    assert (page.width, page.height) == (100, 300)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    data = bomb_png(20000, 20000)
    assert len(data) < 1000
    with pytest.raises(ImageTooLarge, match="too large"):
        load_image(data)
    # Under Pillow's own bomb threshold, over ours: refused with the declared size.
    with pytest.raises(ImageTooLarge, match="9000x9000"):
        load_image(bomb_png(9000, 9000))


def test_tiny_and_extreme_images_are_refused() -> None:
    with pytest.raises(ImageTooSmall, match="1x1"):
        load_image(save(Image.new("RGB", (1, 1)), "PNG"))
    with pytest.raises(ExtremeAspectRatio, match="aspect"):
        load_image(save(Image.new("RGB", (30, 9000)), "PNG"))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", UnsupportedFormat),
        (b"<?xml version='1.0'?><svg/>", UnsupportedFormat),
        (b"%PDF-1.7\n...", UnsupportedFormat),
        (b"hello, this is text", UndecodableImage),
        (b"", UndecodableImage),
    ],
)
def test_non_images_are_refused(data: bytes, error: type) -> None:
    with pytest.raises(error):
        load_image(data)


def test_known_but_unsupported_raster_format_is_415() -> None:
    with pytest.raises(UnsupportedFormat, match="ICO"):
        load_image(save(Image.new("RGB", (64, 64)), "ICO"))


def test_truncated_image_is_undecodable() -> None:
    png = page_png(300, 300)
    with pytest.raises(UndecodableImage):
        load_image(png[: len(png) // 2])


def test_fit_size() -> None:
    assert fit_size((1000, 1000), None) == (1000, 1000)
    assert fit_size((1000, 1000), 10**6) == (1000, 1000)
    w, h = fit_size((4000, 2000), 10**6)
    assert w * h <= 10**6 and w == 2 * h
