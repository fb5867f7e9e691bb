"""Thousands groups an OCR engine ran together: "12 332" printed, "12332" read.

Tesseract cuts words at gaps wider than a threshold it sets per line, and a narrow group
space ("12 332", "9 917 717,47") falls under it now and then, more often on a scan rendered
at a size other than the one it was printed at. The number's glyphs are on the page: where
the steps from one digit to the next are even except at the places thousands groups fall
(every third digit from the decimal point), and wider there, the space was printed.

The step is measured between the glyphs' centres, not between their ink: a "1" is narrow
ink in a digit's full advance, so the ink gaps either side of it are wide without any space.
"""

from __future__ import annotations

import itertools
import re
import statistics
from typing import TYPE_CHECKING

from PIL import Image

from ocrkit.structure.blocks import Block

if TYPE_CHECKING:
    pass

# An amount read as one word: sign or bracket, four digits or more, a decimal part.
_NUMBER = re.compile(r"^(\(?[-−–]?)(\d{4,})([.,]\d+)?(\)?)$")
WIDER = 1.3  # a step this many times the digits' usual one holds a space (one is ~1.5x)


def spaced_digit_groups(words: list[Block], image: Image.Image) -> list[Block]:
    """`words` with each run-together amount given back its printed group spaces."""
    gray: Image.Image | None = None
    out = []
    for word in words:
        m = _NUMBER.match(word.content)
        if m is not None and word.bbox is not None:
            gray = gray or image.convert("L")
            spaced = _spaced(m.groups(), _glyph_centres(gray, word))
            if spaced is not None:
                word = word.model_copy(update={"content": spaced})
        out.append(word)
    return out


def _glyph_centres(gray: Image.Image, word: Block) -> list[float]:
    """The centres (x) of the ink's runs of columns across the word's box, left to right."""
    import numpy as np

    b = word.bbox
    assert b is not None
    crop = np.asarray(gray.crop((int(b.x0), int(b.y0), int(b.x1) + 1, int(b.y1) + 1)))
    if crop.size == 0:
        return []
    low, high = int(crop.min()), int(crop.max())
    if high - low < 40:  # no contrast: nothing to measure
        return []
    columns = np.concatenate([[False], (crop < (low + high) / 2).any(axis=0), [False]])
    edges = np.diff(columns.astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(a + e) / 2 for a, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def _spaced(parts: tuple[str | None, ...], centres: list[float]) -> str | None:
    """The amount with its group spaces, where the glyphs show them; None where they do not
    (glyphs touching, steps uneven elsewhere, no wider step at all)."""
    head, digits, fraction, tail = (p or "" for p in parts)
    glyphs = head + digits + fraction + tail
    if len(centres) != len(glyphs):
        return None  # glyphs touching or split: the steps cannot be told apart
    steps = [b - a for a, b in itertools.pairwise(centres)]
    first = len(head)
    # Step i runs from glyph i to glyph i + 1; between digits k and k + 1 of the integer
    # part it is step first + k, and a group space falls after digit k when the digits
    # left after it are a multiple of three.
    between = range(first, first + len(digits) - 1)
    groups = {i for i in between if (first + len(digits) - 1 - i) % 3 == 0}
    plain = [steps[i] for i in between if i not in groups]
    if not plain:
        return None
    usual = statistics.median(plain)
    wide = {i for i in between if steps[i] >= WIDER * usual}
    if not wide or not wide <= groups:
        return None
    text = head
    for k, digit in enumerate(digits):
        text += digit + (" " if first + k in wide else "")
    return text + fraction + tail
