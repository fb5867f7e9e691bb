"""The text-layer gate: may this PDF page be read from its own text instead of OCR'd?

A page passes when its text layer is trustworthy and complete, in whatever language and
script it is written (`ocrkit.language`):

- **clean**: at most a handful of characters PDFium could not map to Unicode (U+FFFD,
  private-use code points, control characters, `(cid:NN)`: fonts without a usable
  ToUnicode map), by share and by place: at most 1% of the characters, on at most a quarter
  of the lines. A math font's or a dingbat's glyphs on a formula line do not condemn a page
  whose words are right; a body font without a map (every line broken) does. PDFium's own
  map-error flag counts only where the words do not read as language (it flags fonts whose
  text it still got right). The glyphs that stay are marked U+FFFD in the text;
- **letters where letters are**: hardly any word with a symbol between its letters
  ("dotycz!ce", "pó#ce": a font whose map sends its accented letters to ASCII punctuation);
- **one writing system a word**: hardly any word mixes two scripts (`Oблигации` with a
  Latin O is look-alike garbage), and hardly any letter stands outside the page's own
  script, Latin (quoted everywhere) and Greek (formulas);
- **plausible language**: enough of its words (two letters or more) are among the most
  frequent word forms of the best-matching language of its script (35 languages; a script
  with no list is not judged by its words). A visible layer only has to clear a low bar:
  real prose scores 0.15 (Korean, whose words carry their particles; lorem ipsum) to 0.8,
  a font mapped to wrong code points under 0.1. Invisible text, a previous OCR run's layer,
  must clear a stricter one, and must not be made of single letters (the junk an OCR run
  leaves on a page it read sideways): we did not make it and cannot see how good it was;
- **complete**: no large image region (a scanned exhibit, a table pasted as a picture)
  without text over it.

A page with no text and nothing drawn on it is empty, and is read as empty. A page with no
text but an image or drawings is OCR'd (a scan, or text turned into curves).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from ocrkit.language import read_text

if TYPE_CHECKING:  # PDFium is a client dependency; the serving image imports results only
    from ocrkit.pdf.text_layer import Box, Line, PageLayer

Route = Literal["auto", "ocr", "text"]

BROKEN_MAX = 0.01  # share of characters with no Unicode meaning
BROKEN_LINES_MAX = 0.25  # share of lines holding any: more is a body font without a map
STRAY_MAX = 0.02  # share of letters outside the page's script, Latin and Greek
MIXED_MAX = 0.02  # share of words mixing two writing systems
# Share of words with a symbol between their letters ("dotycz!ce", "pó#ce": a font whose
# map sends its accented letters to ASCII punctuation); real text has them only in an
# address or a link (under 1% of a page's words here).
SYMBOL_WORDS_MAX = 0.03
WORD_RATE_MIN = 0.1  # share of words that are frequent words of the page's language
INVISIBLE_WORD_RATE_MIN = 0.4
INVISIBLE_SINGLE_MAX = 0.3  # share of an invisible layer's words that are single letters
# Where the words read this well, PDFium's map-error flags are its doubt, not broken text.
PLAUSIBLE = 0.3
MIN_WORDS = 8  # below this the word rate says nothing: judged on the other measures
# Share of the page under inked image bands with no text over them: 0.02 is about three
# lines of body text across the page. A small stamp or signature stays under it.
UNCOVERED_IMAGE_MAX = 0.02
# Pictures taking less of the page than this (screenshots, banners, charts) are OCR'd on
# their own beside a layer that is good otherwise; more is a scan with a little text on it.
PICTURES_MAX = 0.5

_CID = re.compile(r"\(cid:\d+\)")
_SYMBOL_IN_WORD = re.compile(r"[^\W\d_][!#$%&@\\^|~]+[^\W\d_]")
_LETTERED = re.compile(r"[^\W\d_]")
_LINK = re.compile(r"://|^www\.|@[\w-]+\.\w|[?&]\w+=")  # an address or a link: not words
# U+FFFD, private use, surrogates, and control characters other than tab and newline.
BROKEN_CHARS = re.compile(
    "[\ufffd\ue000-\uf8ff\U000f0000-\U0010ffff\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


class Gate(BaseModel):
    """Why a page went the way it did: the decisive measure, its value and its threshold,
    and every measure taken."""

    route: Literal["text-layer", "ocr"]
    reason: str
    measure: str | None = None
    value: float | None = None
    threshold: float | None = None
    measures: dict[str, float] = {}
    # The page's main script and, where its words tell, its language (ISO 639-1).
    script: str | None = None
    language: str | None = None
    # A text-layer page's pictures whose text the layer lacks, to be OCR'd on their own:
    # (left, top, right, bottom) in PDF points from the page's top left.
    pictures: list[tuple[float, float, float, float]] = []


# A glyph with no Unicode meaning standing alone (a check box, a bullet from a symbol font
# without a map) is a symbol, not broken text.
_ISOLATED = re.compile(rf"(?:^|(?<=\s)){BROKEN_CHARS.pattern}(?=\s|$)", re.MULTILINE)


def judge(layer: PageLayer) -> Gate:
    # Lines set in a font with no Unicode map (a sidebar, a heading in a design font) among
    # good text: the rest is read from the layer, those regions OCR'd on their own, as
    # pictures of text are. Where they are most of the page's text, the page is OCR'd.
    garbled = [line for line in layer.lines if _garbled(line)]
    regions = _regions([line.box for line in garbled])
    area = sum((r - left) * (b - t) for left, t, r, b in regions)
    share = sum(len(line.text) for line in garbled) / max(len(layer.raw_text), 1)
    if garbled and share < 0.5 and area <= PICTURES_MAX * _area(layer):
        rest = judge(readable(layer))
        if (
            rest.route == "text-layer"
            and rest.measure == "word_rate"
            and "invisible" not in rest.reason
        ):
            reason = (
                f"{rest.reason}; {len(regions)} region(s) of text with no Unicode map are OCR'd"
            )
            measures = {**rest.measures, "garbled_lines": round(len(garbled) / len(layer.lines), 4)}
            return rest.model_copy(
                update={"pictures": rest.pictures + regions, "reason": reason, "measures": measures}
            )
    return _judge(layer)


def readable(layer: PageLayer) -> PageLayer:
    """The layer without its garbled lines (their regions are OCR'd: `judge`)."""
    lines = [line for line in layer.lines if not _garbled(line)]
    return layer if len(lines) == len(layer.lines) else replace(layer, lines=lines)


def _garbled(line: Line) -> bool:
    """Half or more of the line's characters have no Unicode meaning."""
    chars = len(line.text) - line.text.count(" ")
    return chars > 0 and len(BROKEN_CHARS.findall(line.text)) >= 0.5 * chars


def _regions(boxes: list[Box]) -> list[tuple[float, float, float, float]]:
    """Boxes of lines gathered into the regions they make (a line joins a region it
    overlaps across, starting within two line heights below it), padded a little. PDFium's
    boxes of a font with no map can be a fraction of the letters' height: a line counts as
    LINE_PT high at least."""
    regions: list[list[float]] = []
    for box in sorted(boxes, key=lambda b: b.top):
        height = max(box.bottom - box.top, LINE_PT)
        for region in regions:
            left, top, right, bottom = region
            across = box.left < right + height and left - height < box.right
            if across and box.top <= bottom + 2 * height:
                region[:] = [
                    min(left, box.left),
                    top,
                    max(right, box.right),
                    max(bottom, box.bottom),
                ]
                break
        else:
            regions.append([box.left, box.top, box.right, box.bottom])
    pad = 2.0
    return [(a - pad, b - pad, c + pad, d + pad) for a, b, c, d in regions]


LINE_PT = 10.0


def _area(layer: PageLayer) -> float:
    return max(layer.width * layer.height, 1.0)


def _judge(layer: PageLayer) -> Gate:
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
    reading = read_text(text)
    words = reading.words + reading.single_letters + reading.mixed_words
    letters = sum(reading.scripts.values())
    own = {reading.script, "latin", "greek"}
    stray = sum(n for script, n in reading.scripts.items() if script not in own)
    plausible = reading.word_rate is not None and reading.word_rate >= PLAUSIBLE
    measures = {
        "broken_chars": round(min(_broken(layer, plausible) / max(len(text), 1), 1.0), 4),
        "broken_lines": round(_broken_lines(layer, plausible), 4),
        "stray_letters": round(stray / max(letters, 1), 4),
        "mixed_script_words": round(reading.mixed_words / max(words, 1), 4),
        "symbol_words": round(_symbol_words(text), 4),
        "single_letters": round(reading.single_letters / max(words, 1), 4),
        "words": float(words),
        "invisible_text": round(invisible / max(sum(len(x.text) for x in layer.lines), 1), 4),
        "uncovered_image_area": round(_uncovered(layer), 4),
    }
    if reading.word_rate is not None:
        measures["word_rate"] = round(reading.word_rate, 4)
    strict = measures["invisible_text"] > 0.5
    word_min = INVISIBLE_WORD_RATE_MIN if strict else WORD_RATE_MIN
    checks = [
        ("broken_chars", ">", BROKEN_MAX, "characters with no Unicode meaning (broken font map)"),
        ("broken_lines", ">", BROKEN_LINES_MAX, "lines with characters of no Unicode meaning"),
        ("stray_letters", ">", STRAY_MAX, f"letters outside the page's {reading.script} script"),
        ("mixed_script_words", ">", MIXED_MAX, "words mixing two scripts (look-alikes)"),
        ("symbol_words", ">", SYMBOL_WORDS_MAX, "symbols inside words (letters mapped wrong)"),
    ]
    judged_by_words = measures["words"] >= MIN_WORDS and "word_rate" in measures
    if strict and measures["words"] >= MIN_WORDS:
        why = "invisible layer (a previous OCR) is mostly single letters"
        checks.append(("single_letters", ">", INVISIBLE_SINGLE_MAX, why))
    if judged_by_words:
        what = "invisible layer (a previous OCR) is not plausible" if strict else "not plausible"
        checks.append(("word_rate", "<", word_min, f"{what} as any language of its script"))
    checks.append(
        ("uncovered_image_area", ">", UNCOVERED_IMAGE_MAX, "images hold text the layer lacks")
    )
    pictures: list[tuple[float, float, float, float]] = []
    for name, op, threshold, why in checks:
        value = measures[name]
        failed = (value > threshold) if op == ">" else (value < threshold)
        if failed and name == "uncovered_image_area" and not strict:
            images = [box for box, _ in _uncovered_images(layer)]
            if sum(b.area for b in images) <= PICTURES_MAX * layer.width * layer.height:
                pictures = [(b.left, b.top, b.right, b.bottom) for b in images]
                continue
        if failed:
            return Gate(
                route="ocr",
                reason=why,
                measure=name,
                value=value,
                threshold=threshold,
                measures=measures,
                script=reading.script,
            )
    decisive = "word_rate" if judged_by_words else "broken_chars"
    reason = "invisible text layer passed the stricter bar" if strict else "text layer passed"
    if pictures:
        reason += f"; {len(pictures)} picture(s) with text it lacks are OCR'd"
    return Gate(
        route="text-layer",
        reason=reason,
        pictures=pictures,
        measure=decisive,
        value=measures[decisive],
        threshold=word_min if decisive == "word_rate" else BROKEN_MAX,
        measures=measures,
        script=reading.script,
        language=reading.language if judged_by_words else None,
    )


def _symbol_words(text: str) -> float:
    """Share of the text's words (tokens with a letter, addresses and links aside) with a
    symbol between letters."""
    tokens = [t for t in text.split() if _LETTERED.search(t) and not _LINK.search(t)]
    return sum(bool(_SYMBOL_IN_WORD.search(t)) for t in tokens) / max(len(tokens), 1)


def _broken(layer: PageLayer, plausible: bool) -> int:
    text = _ISOLATED.sub("", layer.raw_text)
    unmapped = 0 if plausible else sum(line.unmapped for line in layer.lines)
    return unmapped + len(BROKEN_CHARS.findall(text)) + len(_CID.findall(text))


def _broken_lines(layer: PageLayer, plausible: bool) -> float:
    broken = sum(
        1
        for line in layer.lines
        if (line.unmapped and not plausible)
        or BROKEN_CHARS.search(_ISOLATED.sub("", line.text))
        or _CID.search(line.text)
    )
    return broken / max(len(layer.lines), 1)


def _uncovered(layer: PageLayer) -> float:
    """Share of the page taken by the inked bands of images (lines of text, in a scan or a
    pasted exhibit) that no line of the text layer lies on."""
    page = max(layer.width * layer.height, 1.0)
    return min(sum(area for _, area in _uncovered_images(layer)) / page, 1.0)


def _uncovered_images(layer: PageLayer) -> list[tuple[Box, float]]:
    """The images with inked bands no line of the layer lies on, and those bands' area."""
    found = []
    for image in layer.images:
        box = image.box
        uncovered = 0.0
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
        if uncovered:
            found.append((box, uncovered))
    return found
