"""A page's drawn strokes and characters as PDFium has them, in page space, for the table
finder: straight path segments (in Form XObjects too, with the forms' matrices applied;
`text_layer.read_layer` keeps them with the layer where they cross as a grid's rules) and
characters with their boxes, shaped as pdfplumber's objects (dicts with x0, x1, top,
bottom, ...) so that its lattice finder runs on them.

pdfplumber on its own parses the whole page again with pdfminer: that parse was 80% of a
born-digital page's time on the text route (py-spy, stop 31), while PDFium has the page
loaded already and reads the same objects in a few milliseconds. Everything here reads one
loaded pypdfium2 page, under the PDFium lock. Coordinates are PDF
points with the origin at the top left, y down, as in `text_layer`.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
Area = tuple[float, float, float, float]  # x0, top, x1, bottom on the shown page
# Enough for any table; a drawing of more (a map, a chart's curves) is not looked into.
MAX_SEGMENTS = 20_000
_STRAIGHT = 0.1  # how far a horizontal or vertical segment's ends may differ across it


def then(inner: Matrix, outer: Matrix) -> Matrix:
    """`inner` applied first, then `outer` (PDF's row-vector convention)."""
    a, b, c, d, e, f = inner
    aa, bb, cc, dd, ee, ff = outer
    return (
        a * aa + b * cc,
        a * bb + b * dd,
        c * aa + d * cc,
        c * bb + d * dd,
        e * aa + f * cc + ee,
        e * bb + f * dd + ff,
    )


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


@dataclass(frozen=True)
class Frame:
    """Where PDF user space lands on the page as it is shown: the crop box's origin and
    size, and the page's /Rotate (a landscape table is often a portrait page turned 90°).
    PDFium gives text and objects in user space; everything ocrkit keeps is in the shown
    page's points from its top left, y down, as the page is rendered."""

    x0: float
    y0: float
    w: float  # the crop box in user space
    h: float
    rotation: int  # 0, 90, 180, 270: clockwise, as /Rotate turns it

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> Frame:
        left, bottom, right, top = page.get_bbox()  # the crop box, inherited too
        return cls(left, bottom, right - left, top - bottom, page.get_rotation() % 360)

    @property
    def size(self) -> tuple[float, float]:
        return (self.h, self.w) if self.rotation in (90, 270) else (self.w, self.h)

    def point(self, x: float, y: float) -> tuple[float, float]:
        x, y = x - self.x0, y - self.y0
        if self.rotation == 90:
            return y, x
        if self.rotation == 180:
            return self.w - x, y
        if self.rotation == 270:
            return self.h - y, self.w - x
        return x, self.h - y

    def box(self, left: float, bottom: float, right: float, top: float) -> Area:
        """A user-space rectangle on the shown page: (x0, top, x1, bottom)."""
        if self.rotation == 0 and left <= right and bottom <= top:
            # Most pages, on the hot path of every line and character: no turn to make.
            x0, y0, h = self.x0, self.y0, self.h
            return left - x0, h - (top - y0), right - x0, h - (bottom - y0)
        (ax, ay), (bx, by) = self.point(left, bottom), self.point(right, top)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)

    def user_box(self, x0: float, top: float, x1: float, bottom: float) -> Area:
        """The inverse of `box`: (left, top, right, bottom) in user space, y up."""
        if self.rotation == 0 and x0 <= x1 and top <= bottom:
            h = self.h
            return x0 + self.x0, h - top + self.y0, x1 + self.x0, h - bottom + self.y0
        corners = [self._user(x, y) for x in (x0, x1) for y in (top, bottom)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return min(xs), max(ys), max(xs), min(ys)

    def _user(self, px: float, py: float) -> tuple[float, float]:
        if self.rotation == 90:
            x, y = py, px
        elif self.rotation == 180:
            x, y = self.w - px, py
        elif self.rotation == 270:
            x, y = self.w - py, self.h - px
        else:
            x, y = px, self.h - py
        return x + self.x0, y + self.y0

    def turn(self, m: Matrix) -> Matrix:
        """A character's (or an image's) matrix as it is seen, y still up: upright on the
        shown page is (a > 0, b = c = 0)."""
        a, b, c, d, e, f = m

        def vector(dx: float, dy: float) -> tuple[float, float]:
            if self.rotation == 90:
                return dy, -dx
            if self.rotation == 180:
                return -dx, -dy
            if self.rotation == 270:
                return -dy, dx
            return dx, dy

        (a, b), (c, d) = vector(a, b), vector(c, d)
        return a, b, c, d, e, f


def matrix_of(obj: Handle) -> Matrix:
    fs = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, ctypes.byref(fs)):
        return IDENTITY
    return (fs.a, fs.b, fs.c, fs.d, fs.e, fs.f)


def walk(page: pdfium.PdfPage, kinds: tuple[int, ...]) -> Iterator[tuple[int, Handle, Matrix]]:
    """The page's objects of `kinds` (raw handles), each with its type and the matrix of the
    forms it is drawn in (identity for one on the page itself). PDFium gives an object inside
    a Form XObject its position in the form's space; the form's own matrix puts it on the
    page. Raw calls: a page of text has thousands of objects, and a helper object for each
    cost more than reading them."""

    def inside(parent: Handle, in_form: bool, outer: Matrix, depth: int) -> Iterator:
        count = (raw.FPDFFormObj_CountObjects if in_form else raw.FPDFPage_CountObjects)(parent)
        get = raw.FPDFFormObj_GetObject if in_form else raw.FPDFPage_GetObject
        for i in range(count):
            obj = get(parent, i)
            if not obj:
                continue
            kind = raw.FPDFPageObj_GetType(obj)
            if kind in kinds:
                yield kind, obj, outer
            elif kind == raw.FPDF_PAGEOBJ_FORM and depth < _MAX_DEPTH:
                yield from inside(obj, True, then(matrix_of(obj), outer), depth + 1)

    yield from inside(page.raw, False, IDENTITY, 0)


Handle = Any  # a raw PDFium handle (FPDF_PAGEOBJECT, FPDF_PAGE)
_MAX_DEPTH = 15  # forms inside forms: as deep as pypdfium2 looks


# Filled in by PDFium for each `bounds` call: made once (every call holds the PDFium lock),
# as a page of rules has thousands of objects.
_BOUNDS = tuple(ctypes.c_float() for _ in range(4))
_BOUNDS_REFS = tuple(ctypes.byref(f) for f in _BOUNDS)


def bounds(obj: Handle, outer: Matrix) -> tuple[float, float, float, float]:
    """The object's left, bottom, right, top on the page (PDF space, y up)."""
    left, bottom, right, top = _BOUNDS
    raw.FPDFPageObj_GetBounds(obj, *_BOUNDS_REFS)
    if outer == IDENTITY:
        return left.value, bottom.value, right.value, top.value
    corners = [
        apply(outer, x, y) for x in (left.value, right.value) for y in (bottom.value, top.value)
    ]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    return min(xs), min(ys), max(xs), max(ys)


def segments(obj: Handle, outer: Matrix) -> Iterator[tuple[float, float, float, float]]:
    """The path's straight segments (its lines, and the sides of its rectangles) as
    (x0, y0, x1, y1) on the page, PDF space; curves are skipped."""
    count = raw.FPDFPath_CountSegments(obj)
    if count < 2 or count > MAX_SEGMENTS:
        return
    m = then(matrix_of(obj), outer)
    x, y = ctypes.c_float(), ctypes.c_float()
    px, py = ctypes.byref(x), ctypes.byref(y)
    previous: tuple[float, float] | None = None
    start: tuple[float, float] | None = None
    for i in range(count):
        segment = raw.FPDFPath_GetPathSegment(obj, i)
        raw.FPDFPathSegment_GetPoint(segment, px, py)
        point = apply(m, x.value, y.value)
        kind = raw.FPDFPathSegment_GetType(segment)
        if kind == raw.FPDF_SEGMENT_MOVETO:
            start = point
        elif kind == raw.FPDF_SEGMENT_LINETO and previous is not None:
            yield (*previous, *point)
        if raw.FPDFPathSegment_GetClose(segment) and start is not None:
            yield (*point, *start)
        previous = point


def path_edges(obj: Handle, outer: Matrix, frame: Frame) -> list[dict]:
    """The path's horizontal and vertical straight segments on the shown page, filled or
    stroked, as pdfplumber's edges (a cell's shading draws its sides, as pdfplumber counts
    a rectangle's edges). A bar thinner than BAR_PT is one edge along its middle, where
    pdfplumber's snapping puts its two long sides."""
    x0, top, x1, bottom = frame.box(*bounds(obj, outer))
    if bottom - top <= BAR_PT and x1 - x0 >= bottom - top:
        y = (top + bottom) / 2
        return [_edge(x0, y, x1, y, "h")]
    if x1 - x0 <= BAR_PT and bottom - top > x1 - x0:
        x = (x0 + x1) / 2
        return [_edge(x, top, x, bottom, "v")]
    edges = []
    for ux0, uy0, ux1, uy1 in segments(obj, outer):
        (ax, ay), (bx, by) = frame.point(ux0, uy0), frame.point(ux1, uy1)
        if abs(by - ay) <= _STRAIGHT and ax != bx:
            y = (ay + by) / 2
            edges.append(_edge(min(ax, bx), y, max(ax, bx), y, "h"))
        elif abs(bx - ax) <= _STRAIGHT and ay != by:
            x = (ax + bx) / 2
            edges.append(_edge(x, min(ay, by), x, max(ay, by), "v"))
    return edges


BAR_PT = 2.0  # a filled bar this thin is a rule


def _edge(x0: float, top: float, x1: float, bottom: float, orientation: str) -> dict:
    return {
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": orientation,
    }


def page_text(textpage: raw.FPDF_TEXTPAGE, count: int) -> str:
    """The text page's `count` characters, one per character index (boxes are read by
    index): one call reads them, one UTF-16 unit each, a lone surrogate U+FFFD (a broken
    map)."""
    buffer = ctypes.create_string_buffer((count + 1) * 2)
    raw.FPDFText_GetText(textpage, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    text = buffer.raw[: count * 2].decode("utf-16-le", errors="replace")
    if len(text) != count or "\x00" in text:
        # PDFium leaves a control character out of the text (a bullet mapped to U+0002), and
        # a surrogate pair decodes as one character: every index after it would point at the
        # wrong box. One character at a time.
        text = "".join(_char(raw.FPDFText_GetUnicode(textpage, i)) for i in range(count))
    return text


# Alef (bare, or with its hamza or madda) before lam: the definite article "ال", or the
# lam-alef ligature ("لا", one glyph) that a font's map gives in the order it is drawn.
_ALEF_LAM = re.compile("[\u0622\u0623\u0625\u0627]\u0644")


def lam_alef(textpage: raw.FPDF_TEXTPAGE, text: str) -> str:
    """The page's text (`page_text`) with each lam-alef ligature in its letters' order:
    where alef and lam share one glyph's box they are one glyph, the ligature, which Word's
    fonts map to alef, lam ("االستفادة" for "الاستفادة", "خالل" for "خلال"); the article's
    two glyphs stand apart. For the text read in PDFium's order (lines, not table cells:
    a cell's characters are put in the order they stand, which reverses a box's two)."""
    if not _ALEF_LAM.search(text):
        return text
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    boxes = (ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))

    def box(i: int) -> tuple[float, ...]:
        raw.FPDFText_GetCharBox(textpage, i, *boxes)
        return (left.value, right.value, bottom.value, top.value)

    chars = list(text)
    for m in _ALEF_LAM.finditer(text):
        i = m.start()
        a, b = box(i), box(i + 1)
        if a[1] > a[0] and all(abs(x - y) < 0.01 for x, y in zip(a, b, strict=True)):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def _char(code: int) -> str:
    """A character index's text: its code point, U+FFFD where it has none usable (no map,
    a control character, a lone surrogate); line breaks and PDFium's soft hyphen (U+0002)
    stay."""
    if code in (0x02, 0x0A, 0x0D) or (code >= 0x20 and not 0xD800 <= code <= 0xDFFF):
        return chr(code) if code <= 0x10FFFF else "\ufffd"
    return "\ufffd"


def read_chars(
    page: pdfium.PdfPage, within: list[Area], textpage: pdfium.PdfTextPage | None = None
) -> list[dict]:
    """The page's characters whose lines reach into one of the `within` areas, as
    pdfplumber's chars: text, box (the glyph's advance by its font's height, as pdfminer
    measures it), matrix and whether it stands upright. Spaces are kept, and PDFium's
    generated ones where they part two words (below); a hyphen PDFium marks as kept at a
    line's end is the "-" printed. `textpage`: the page's, where it is open already."""
    if textpage is not None:
        return _chars(textpage.raw, Frame.of(page), within)
    textpage = page.get_textpage()
    try:
        return _chars(textpage.raw, Frame.of(page), within)
    finally:
        textpage.close()


def _chars(textpage: raw.FPDF_TEXTPAGE, frame: Frame, within: list[Area]) -> list[dict]:
    count = raw.FPDFText_CountChars(textpage)
    if count <= 0 or not within:
        return []
    text = page_text(textpage, count)
    rect = raw.FS_RECTF()
    matrix = raw.FS_MATRIX()
    chars: list[dict] = []

    def box(i: int) -> Area:
        raw.FPDFText_GetLooseCharBox(textpage, i, ctypes.byref(rect))
        return frame.box(rect.left, rect.bottom, rect.right, rect.top)

    start = 0
    while start < count:
        end = start
        while end < count and text[end] not in "\r\n":
            end += 1
        # A line (PDFium's) is read only where it reaches into a table's area: the ends'
        # boxes say where it runs (sideways text too: its box spans the ends').
        if end > start:
            a, b = box(start), box(end - 1)
            x0, top = min(a[0], b[0]), min(a[1], b[1])
            x1, bottom = max(a[2], b[2]), max(a[3], b[3])
            if any(x0 < w[2] and w[0] < x1 and top < w[3] and w[1] < bottom for w in within):
                # One matrix for the line: PDFium starts a new line where the direction
                # of the text turns.
                raw.FPDFText_GetMatrix(textpage, start, ctypes.byref(matrix))
                m = frame.turn((matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f))
                upright = abs(m[1]) < 1e-6 and abs(m[2]) < 1e-6
                first = len(chars)
                for i in range(start, end):
                    ch = text[i]
                    left, top_, right, bottom_ = box(i)
                    if ch == " " and bottom_ - top_ < 0.01:
                        # A generated space has no box. Where it parts two words (a gap
                        # under a letter's height: Word sets real spaces PDFium counts as
                        # generated) it goes between them, just clear of the letter before
                        # (pdfplumber orders a line by x0), on its line; a wider gap parts
                        # cells, which their rules part already. PDFium gives right-to-left
                        # text in logical order: the next letter may stand to the left.
                        if len(chars) == first or i + 1 >= end:
                            continue
                        before, after = chars[-1], box(i + 1)
                        em = before["bottom"] - before["top"]
                        if -0.5 <= after[0] - before["x1"] <= em:
                            left = right = before["x1"] + 0.01
                        elif -0.5 <= before["x0"] - after[2] <= em:
                            left = right = before["x0"] - 0.01
                        else:
                            continue
                        top_, bottom_ = before["top"], before["bottom"]
                    chars.append(
                        {
                            "object_type": "char",
                            "text": "-" if ch in "\x02\ufffe" else ch,
                            "x0": left,
                            "x1": right,
                            "top": top_,
                            "bottom": bottom_,
                            "doctop": top_,
                            "width": right - left,
                            "height": bottom_ - top_,
                            "matrix": m,
                            "upright": upright,
                        }
                    )
        start = end + 1
    return chars
