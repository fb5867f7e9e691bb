"""A word's font size from an OCR engine's box around it.

A word's box is as tall as its letters reach: "сон" spans the x-height, "общество" an
ascender and a descender, "ПРОСПЕКТ" the capitals. Compared by box height, a line of the
body's size whose words happen to reach up and down reads as a larger heading (the
scanned sample's "Акционерное общество «…»" did). Each letter's reach above and below the
baseline, in em (about as sans and serif text faces set Cyrillic and Latin), turns a box's
height into a size: the height over the span its letters cover.
"""

from __future__ import annotations

from ocrkit.structure.blocks import Block

X_HEIGHT = 0.55
CAPITAL = 0.73
ASCENDER = 0.76
DESCENDER = -0.21
SHORT_DESCENDER = -0.15  # д, ц, щ and their capitals: a short tail

_X = set("acemnorsuvwxzавгежзиклмнопстхчшъыьэюя")
_ASCENDING = set("bdfhklt") | set("бijёй")
_DESCENDING = set("gpqyру")
_BOTH = set("фj")
_SHORT_TAIL = set("дцщДЦЩ")
_BRACKETS = set("()[]{}|/\\")
_LOW = set(",.;:«»-–—…")  # punctuation that sits on or near the baseline and reaches no higher


def reach(char: str) -> tuple[float, float]:
    """How far `char` reaches above and below the baseline, in em."""
    if char in _BRACKETS:
        return ASCENDER, SHORT_DESCENDER
    if char in _BOTH:
        return ASCENDER, DESCENDER
    if char in _SHORT_TAIL:
        return (X_HEIGHT if char.islower() else CAPITAL), SHORT_DESCENDER
    if char in _DESCENDING:
        return X_HEIGHT, DESCENDER
    if char in _ASCENDING:
        return ASCENDER, 0.0
    if char in _X:
        return X_HEIGHT, 0.0
    if char in _LOW:
        return X_HEIGHT, 0.0 if char not in ",;" else SHORT_DESCENDER
    return CAPITAL, 0.0  # capitals, digits, anything else


def size(word: Block) -> float | None:
    """The word's font size in its box's units (pixels), or None where it has no box or no
    letter or digit to tell it by."""
    if word.bbox is None or not any(c.isalnum() for c in word.content):
        return None
    reaches = [reach(c) for c in word.content if not c.isspace()]
    span = max(top for top, _ in reaches) - min(bottom for _, bottom in reaches)
    return (word.bbox.y1 - word.bbox.y0) / span
