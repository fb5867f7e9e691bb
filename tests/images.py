"""Page images made on the fly for the tests."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw


def page_png(width: int = 600, height: int = 800, text: str = "Облигации 2025") -> bytes:
    img = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(img).text((20, 20), text, fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
