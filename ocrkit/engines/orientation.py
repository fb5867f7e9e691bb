"""Which way up a scanned page is, and in which script it is written: Tesseract's
orientation and script detection (`--psm 0`, its `osd` model) on the page at half size,
which takes about a tenth of reading it. A page printed sideways is turned upright before it
is read, and its words' boxes turned back onto the page as it is; a page's script picks the
Tesseract models that read it when the user named no language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ocrkit.model.postprocess import BBox, Block

# Below these confidences Tesseract's guess is no better than leaving the page as it is (a
# page of figures is "upside down" at 0.75, "Greek" at 13.9: scripts are only a hint).
MIN_CONFIDENCE = 5.0
MIN_SCRIPT_CONFIDENCE = 2.0
# Tesseract's script names, as ocrkit.language names scripts.
SCRIPTS = {
    "Latin": "latin",
    "Cyrillic": "cyrillic",
    "Greek": "greek",
    "Arabic": "arabic",
    "Hebrew": "hebrew",
    "Hangul": "hangul",
    "Han": "han",
    "Japanese": "kana",
    "Devanagari": "devanagari",
    "Thai": "thai",
    "Armenian": "armenian",
    "Georgian": "georgian",
}


@dataclass(frozen=True)
class Orientation:
    rotate: int  # degrees to turn the page clockwise to stand it upright: 0, 90, 180, 270
    script: str | None  # as ocrkit.language names it; None where Tesseract was unsure


def parse_osd(output: str) -> Orientation:
    """Tesseract's `--psm 0` report as an Orientation (upright, script unknown where it
    could not tell)."""
    fields = dict(re.findall(r"^([A-Za-z ]+):\s*(\S+)", output, re.MULTILINE))
    try:
        rotate = int(fields.get("Rotate", "0")) % 360
        confident = float(fields.get("Orientation confidence", "0")) >= MIN_CONFIDENCE
        script_sure = float(fields.get("Script confidence", "0")) >= MIN_SCRIPT_CONFIDENCE
    except ValueError:
        return Orientation(0, None)
    script = SCRIPTS.get(fields.get("Script", "")) if script_sure else None
    return Orientation(rotate if confident and rotate in (90, 180, 270) else 0, script)


def unrotate(blocks: list[Block], rotate: int, size: tuple[int, int]) -> None:
    """Turns the blocks' boxes, found on the page turned `rotate` degrees clockwise (of
    `size`, width and height, as turned), back onto the page as it is; in place."""
    width, height = size
    for block in blocks:
        b = block.bbox
        if b is None or not rotate:
            continue
        corners = [_back(x, y, rotate, width, height) for x in (b.x0, b.x1) for y in (b.y0, b.y1)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        block.bbox = BBox(x0=min(xs), y0=min(ys), x1=max(xs), y1=max(ys))


def _back(x: int, y: int, rotate: int, width: int, height: int) -> tuple[int, int]:
    """A point of the turned page (width x height) on the page as it is."""
    if rotate == 90:  # turned clockwise: the original's left edge is now its top
        return y, width - x
    if rotate == 270:
        return height - y, x
    return width - x, height - y  # 180
