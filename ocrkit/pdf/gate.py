"""The text-layer gate: may this PDF page be read from its own text instead of OCR'd?

A page passes when its text layer is trustworthy and complete:

- **clean**: at most a handful of characters PDFium could not map to Unicode (U+FFFD,
  private-use code points, control characters, `(cid:NN)`: fonts without a usable
  ToUnicode map), by share and by place: at most 1% of the characters, on at most a quarter
  of the lines. A math font's or a dingbat's glyphs on a formula line do not condemn a page
  whose words are right; a body font without a map (every line broken) does. The glyphs
  that stay are marked U+FFFD in the text;
- **in script**: its letters are Cyrillic or Latin (Russian documents quote English), and
  hardly any word mixes the two (`Oблигации` with a Latin O is look-alike garbage);
- **plausible language**: enough of its words are among the most frequent Russian and
  English word forms (`data/words.txt`). Real prose scores 0.45 to 0.7 here, text from a
  font mapped to wrong code points or Russian read by an English OCR model under 0.1 (the
  corpus in tests/test_text_layer.py). Invisible text, a previous OCR run's layer, must
  clear a stricter bar: we did not make it and cannot see how good it was;
- **complete**: no large image region (a scanned exhibit, a table pasted as a picture)
  without text over it.

A page with no text and nothing drawn on it is empty, and is read as empty. A page with no
text but an image or drawings is OCR'd (a scan, or text turned into curves).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

if TYPE_CHECKING:  # PDFium is a client dependency; the serving image imports results only
    from ocrkit.pdf.text_layer import PageLayer

Route = Literal["auto", "ocr", "text"]

BROKEN_MAX = 0.01  # share of characters with no Unicode meaning
BROKEN_LINES_MAX = 0.25  # share of lines holding any: more is a body font without a map
FOREIGN_MAX = 0.01  # share of letters outside Cyrillic and Latin
MIXED_MAX = 0.02  # share of words mixing Cyrillic and Latin letters
WORD_RATE_MIN = 0.25  # share of words that are frequent Russian or English words
INVISIBLE_WORD_RATE_MIN = 0.4
MIN_WORDS = 8  # below this the word rate says nothing: judged on the other measures
# Share of the page under inked image bands with no text over them: 0.02 is about three
# lines of body text across the page. A small stamp or signature stays under it.
UNCOVERED_IMAGE_MAX = 0.02

_WORD = re.compile(r"[^\W\d_]+")
_CID = re.compile(r"\(cid:\d+\)")
# U+FFFD, private use, surrogates, and control characters other than tab and newline.
BROKEN_CHARS = re.compile(
    "[\ufffd\ue000-\uf8ff\U000f0000-\U0010ffff\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f]"
)
_CYRILLIC_CHARS = "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f"
_LATIN_CHARS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_CYRILLIC = re.compile(f"[{_CYRILLIC_CHARS}]")
_LATIN = re.compile(f"[{_LATIN_CHARS}]")
# A letter of any other script (Greek, Armenian, ... look-alikes; symbols from a bad map).
_FOREIGN = re.compile(f"(?![{_CYRILLIC_CHARS}{_LATIN_CHARS}])[^\\W\\d_]")


class Gate(BaseModel):
    """Why a page went the way it did: the decisive measure, its value and its threshold,
    and every measure taken."""

    route: Literal["text-layer", "ocr"]
    reason: str
    measure: str | None = None
    value: float | None = None
    threshold: float | None = None
    measures: dict[str, float] = {}


def judge(layer: PageLayer) -> Gate:
    text = layer.raw_text
    if not text.strip():
        if not layer.images and not layer.drawings:
            return Gate(route="text-layer", reason="empty page: no text, no image, no drawing")
        return Gate(
            route="ocr",
            reason="no text layer over the page's images or drawings",
            measure="chars",
            value=0,
            threshold=1,
        )
    invisible = sum(len(line.text) for line in layer.lines if line.invisible)
    words = _WORD.findall(text)
    letters = sum(map(len, words))
    measures = {
        "broken_chars": round(min(_broken(layer) / max(len(text), 1), 1.0), 4),
        "broken_lines": round(_broken_lines(layer), 4),
        "foreign_letters": round(len(_FOREIGN.findall(text)) / max(letters, 1), 4),
        "mixed_script_words": round(_mixed_share(words), 4),
        "word_rate": round(_word_rate(words), 4),
        "words": float(len(words)),
        "invisible_text": round(invisible / max(sum(len(x.text) for x in layer.lines), 1), 4),
        "uncovered_image_area": round(_uncovered(layer), 4),
    }
    strict = measures["invisible_text"] > 0.5
    word_min = INVISIBLE_WORD_RATE_MIN if strict else WORD_RATE_MIN
    checks = [
        ("broken_chars", ">", BROKEN_MAX, "characters with no Unicode meaning (broken font map)"),
        ("broken_lines", ">", BROKEN_LINES_MAX, "lines with characters of no Unicode meaning"),
        ("foreign_letters", ">", FOREIGN_MAX, "letters outside Cyrillic and Latin"),
        ("mixed_script_words", ">", MIXED_MAX, "words mixing Cyrillic and Latin look-alikes"),
    ]
    if measures["words"] >= MIN_WORDS:
        what = "invisible layer (a previous OCR) is not plausible" if strict else "not plausible"
        checks.append(("word_rate", "<", word_min, f"{what} Russian or English"))
    checks.append(
        ("uncovered_image_area", ">", UNCOVERED_IMAGE_MAX, "images hold text the layer lacks")
    )
    for name, op, threshold, why in checks:
        value = measures[name]
        if (value > threshold) if op == ">" else (value < threshold):
            return Gate(
                route="ocr",
                reason=why,
                measure=name,
                value=value,
                threshold=threshold,
                measures=measures,
            )
    decisive = "word_rate" if measures["words"] >= MIN_WORDS else "broken_chars"
    return Gate(
        route="text-layer",
        reason="invisible text layer passed the stricter bar" if strict else "text layer passed",
        measure=decisive,
        value=measures[decisive],
        threshold=word_min if decisive == "word_rate" else BROKEN_MAX,
        measures=measures,
    )


def _broken(layer: PageLayer) -> int:
    text = layer.raw_text
    unmapped = sum(line.unmapped for line in layer.lines)
    return unmapped + len(BROKEN_CHARS.findall(text)) + len(_CID.findall(text))


def _broken_lines(layer: PageLayer) -> float:
    broken = sum(
        1
        for line in layer.lines
        if line.unmapped or BROKEN_CHARS.search(line.text) or _CID.search(line.text)
    )
    return broken / max(len(layer.lines), 1)


def _mixed_share(words: list[str]) -> float:
    mixed = sum(1 for w in words if _CYRILLIC.search(w) and _LATIN.search(w))
    return mixed / max(len(words), 1)


def _word_rate(words: list[str]) -> float:
    known = _words()
    return sum(w.lower().replace("ё", "е") in known for w in words) / max(len(words), 1)


def _uncovered(layer: PageLayer) -> float:
    """Share of the page taken by the inked bands of images (lines of text, in a scan or a
    pasted exhibit) that no line of the text layer lies on."""
    page = max(layer.width * layer.height, 1.0)
    uncovered = 0.0
    for image in layer.images:
        box = image.box
        over = [
            line.box
            for line in layer.lines
            if min(line.box.right, box.right) > max(line.box.left, box.left)
        ]
        for top, bottom in image.ink:
            covered = any(
                t.top - 0.5 * (t.bottom - t.top) < bottom
                and top < t.bottom + 0.5 * (t.bottom - t.top)
                for t in over
            )
            if not covered:
                uncovered += (bottom - top) * (box.right - box.left)
    return min(uncovered / page, 1.0)


@cache
def _words() -> frozenset[str]:
    lines = resources.files("ocrkit").joinpath("data/words.txt").read_text(encoding="utf-8")
    return frozenset(w for w in lines.splitlines() if w and not w.startswith("#"))
