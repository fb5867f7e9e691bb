"""A scan's skew, from its OCR words: a page fed into the scanner a degree or two askew.

Tesseract reads a skewed page well (it follows each text line's slope), but what is built on
its words' boxes does not: a ruled table's rules break into pieces a few pixels apart in
height, so no rule is found whole, and the words of one row drift out of their row. The
page's slope is measured on its own lines (the words of each long line, their centres
fitted by least squares, the median over the lines); where it is a fifth of a degree or
more, the tables are found on the page turned level (the image, and the words' boxes with
it) and their boxes turned back, so that every box still lies on the page as given.
"""

from __future__ import annotations

import math
import statistics

from PIL import Image

from ocrkit.structure.blocks import BBox, Block

MIN_SKEW = 0.2  # degrees: less moves a line by under a third of its height across an A4 page
MAX_SKEW = 8.0  # degrees: more is no skew a scanner makes (and no measure of one)
LINE_SHARE = 0.15  # of the page's width: lines shorter than this say little of a slope
LINES_MIN = 5  # lines it takes to measure a page's slope


def skew_of(words: list[Block], width: int) -> float:
    """The page's skew in degrees, counter-clockwise as it is seen (0.0 where it cannot be
    told): the median slope of its long lines of words."""
    lines: dict[int, list[tuple[float, float]]] = {}
    for w in words:
        if w.type == "word" and w.bbox is not None and "line" in w.metadata:
            b = w.bbox
            lines.setdefault(int(w.metadata["line"]), []).append(
                ((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)
            )
    slopes = []
    for points in lines.values():
        xs = [x for x, _ in points]
        if len(points) < 3 or max(xs) - min(xs) < LINE_SHARE * width:
            continue
        mx, my = statistics.fmean(xs), statistics.fmean(y for _, y in points)
        spread = sum((x - mx) ** 2 for x in xs)
        slopes.append(sum((x - mx) * (y - my) for x, y in points) / spread)
    if len(slopes) < LINES_MIN:
        return 0.0
    # y grows down the page: a line rising to the right has a negative slope.
    angle = -math.degrees(math.atan(statistics.median(slopes)))
    return angle if abs(angle) <= MAX_SKEW else 0.0


def level(image: Image.Image, angle: float) -> Image.Image:
    """The page turned level (by `angle` clockwise), white where the turn uncovers. Each
    pixel is its nearest one on the page: only the rules and the gaps between glyphs are
    looked for on it (Tesseract's words come from the page as scanned), and a bicubic
    turn of a 300 dpi page took 0.33 s against 0.02 s."""
    fill = 255 if image.mode == "L" else (255,) * len(image.getbands())
    return image.rotate(-angle, resample=Image.Resampling.NEAREST, fillcolor=fill)


def turned(blocks: list[Block], angle: float, size: tuple[int, int]) -> list[Block]:
    """Copies of the blocks with their boxes turned with the page by `angle` degrees
    clockwise about its centre (`-angle`: back again); a box keeps its size, its centre
    moves (the angles are small)."""
    width, height = size
    cx, cy = width / 2, height / 2
    a = math.radians(angle)
    cos, sin = math.cos(a), math.sin(a)
    out = []
    for block in blocks:
        b = block.bbox
        if b is None:
            out.append(block.model_copy())
            continue
        x, y = (b.x0 + b.x1) / 2 - cx, (b.y0 + b.y1) / 2 - cy
        # A clockwise turn as seen on the page (y grows down).
        nx, ny = cx + x * cos - y * sin, cy + x * sin + y * cos
        hw, hh = (b.x1 - b.x0) / 2, (b.y1 - b.y0) / 2
        box = BBox(
            x0=max(0, round(nx - hw)),
            y0=max(0, round(ny - hh)),
            x1=min(width, round(nx + hw)),
            y1=min(height, round(ny + hh)),
        )
        out.append(block.model_copy(update={"bbox": box}))
    return out
