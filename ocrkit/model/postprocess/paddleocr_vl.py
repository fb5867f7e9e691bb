"""PaddleOCR-VL's replies, by task:

- `OCR:` and `Formula Recognition:` give text (LaTeX for formulas): kept;
- `Table Recognition:` gives OTSL (`<fcel>`, `<ecel>`, `<lcel>`, `<ucel>`, `<xcel>`, `<nl>`):
  a Markdown table, or HTML where cells are merged;
- `Spotting:` gives each line of text followed by its quadrilateral as eight location
  tokens `<|LOC_n|>` on a 0-1000 grid: the lines become the text, their boxes blocks.
"""

from __future__ import annotations

import re

from ocrkit.structure.blocks import BBox, Block, PageText
from ocrkit.structure.markup import is_otsl, otsl_to_markdown

GRID = 1000
_SPOT = re.compile(r"(?P<text>[^<\n]*?)\s*(?P<locs>(?:<\|LOC_\d+\|>\s*){8})")
_LOC = re.compile(r"<\|LOC_(\d+)\|>")
_SPECIAL = re.compile(r"</?s>|<\|(?:IMAGE_START|IMAGE_END|end_of_sentence)\|>")


def postprocess(raw: str, width: int, height: int) -> PageText:
    text = _SPECIAL.sub("", raw).strip()
    if _LOC.search(text):
        return _spotting(text, width, height)
    if is_otsl(text):
        return PageText(text=otsl_to_markdown(text))
    return PageText(text=text)


def _spotting(text: str, width: int, height: int) -> PageText:
    blocks = []
    for m in _SPOT.finditer(text):
        points = [int(v) for v in _LOC.findall(m["locs"])]
        xs = [min(max(v, 0), GRID) * width / GRID for v in points[0::2]]
        ys = [min(max(v, 0), GRID) * height / GRID for v in points[1::2]]
        blocks.append(
            Block(
                id=len(blocks),
                type="text",
                content=m["text"].strip(),
                bbox=BBox(
                    x0=round(min(xs)), y0=round(min(ys)), x1=round(max(xs)), y1=round(max(ys))
                ),
                metadata={"polygon": [[round(x), round(y)] for x, y in zip(xs, ys, strict=True)]},
            )
        )
    lines = [b.content for b in blocks if b.content]
    return PageText(text="\n".join(lines), blocks=blocks or None)
