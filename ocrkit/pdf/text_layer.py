"""A PDF page's own text, as PDFium gives it: lines with their boxes and whether they are
drawn invisibly (a previous OCR run's layer), the page's image regions, and the text
re-flowed into paragraphs so that it reads like OCR output.

Everything here reads one loaded pypdfium2 page; `pdf.PdfFile.layer` calls it under the
PDFium lock. Coordinates are PDF points with the origin at the top left, y down.
"""

from __future__ import annotations

import bisect
import ctypes
import hashlib
import itertools
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as raw
from PIL import Image

from ocrkit.pdf.gate import BROKEN_CHARS
from ocrkit.pdf.objects import (
    Area,
    Frame,
    Matrix,
    bounds,
    lam_alef,
    matrix_of,
    page_text,
    path_edges,
    then,
    walk,
)

_HYPHENS = "-\u2010\u2011"


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def area(self) -> float:
        return max(self.right - self.left, 0.0) * max(self.bottom - self.top, 0.0)

    def overlap(self, other: Box) -> float:
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        return max(w, 0.0) * max(h, 0.0)


@dataclass(frozen=True)
class Region:
    """An image on the page, and the bands of it (top, bottom) where it has ink: lines of
    text, if it is a scan."""

    box: Box
    ink: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    text: str
    box: Box
    invisible: bool  # text render mode 3: there to be found, not seen (an OCR layer)
    unmapped: int  # characters PDFium could not map to Unicode (no or broken ToUnicode)
    # Where the line has wide gaps (cells of a table without rules): its runs of text with
    # their left and right edges; empty for a line set as one run.
    runs: tuple[tuple[str, float, float], ...] = ()
    size: float = 0.0  # the font size of its first or last character (the larger), in points
    bold: bool = False  # its first and last characters are set in a bold weight


@dataclass(frozen=True)
class PageLayer:
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    images: list[Region] = field(default_factory=list)
    drawings: int = 0  # vector path objects: rules and boxes, or text turned into curves
    # Whether straight strokes (however many path objects draw them) cross as a table's
    # rules do: two cells or more, not a box around a picture.
    grid: bool = False
    # Where they do: the page's horizontal and vertical strokes as pdfplumber's edges
    # (`objects.path_edges`), for the table finder; () on any other page.
    rules: tuple[dict, ...] = ()
    # The page's long horizontal strokes, (y, x0, x1), on every page: a running head's or
    # foot's rule that parts it from the body (`ocrkit.structure.furniture`).
    long_rules: tuple[tuple[float, float, float], ...] = ()

    @property
    def raw_text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def text(self) -> str:
        return reflow(self.lines)


def read_layer(
    page: pdfium.PdfPage,
    textpage: pdfium.PdfTextPage | None = None,
    inks: dict[bytes, bytes] | None = None,
) -> PageLayer:
    """The page's text lines, image boxes and drawing count (its text page: the one given,
    or one of its own; `inks`: the images' rows of ink already measured on the document's
    other pages, by their data). Call with the PDFium lock held."""
    frame = Frame.of(page)
    width, height = frame.size
    own = textpage is None
    textpage = page.get_textpage() if textpage is None else textpage
    try:
        lines = _lines(textpage.raw, frame)
    finally:
        if own:
            textpage.close()
    images: list[Region] = []
    drawings = 0
    edges: list[dict] = []
    for kind, obj, outer in walk(page, (raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_PATH)):
        if kind == raw.FPDF_PAGEOBJ_PATH:
            drawings += 1
            if len(edges) < MAX_EDGES:
                edges += path_edges(obj, outer, frame)
            continue
        box = _clip(Box(*frame.box(*bounds(obj, outer))), width, height)
        large = box.area >= MIN_IMAGE_SHARE * width * height
        if large:
            image = pdfium.PdfObject(obj, page=page, pdf=page.pdf)
            seen = frame.turn(then(matrix_of(obj), outer))
            images.append(Region(box, _ink_bands(image, box, seen, inks)))
        else:
            images.append(Region(box, []))
    grid = _grid(edges)
    rules = tuple(edges) if grid else ()
    long_rules = tuple(
        sorted(
            (e["top"], e["x0"], e["x1"])
            for e in edges
            if e["orientation"] == "h" and e["width"] >= LONG_RULE * width
        )[:MAX_LONG_RULES]
    )
    return PageLayer(width, height, lines, images, drawings, grid, rules, long_rules)


RULE_PT = 10.0  # a stroke this long or longer can be a table's rule (a cell's side)
LONG_RULE = 0.3  # of the page's width: a stroke this long can part a running head off
MAX_LONG_RULES = 200
_STRAIGHT_PT = 2.0  # how far a rule's ends may stray from one line


# Edges enough for any table (a grid of 1,000 cells drawn one by one is 4,000); a page of
# more (a map, a chart's curves) is not looked into further.
MAX_EDGES = 20_000


def _grid(edges: list[dict]) -> bool:
    """Whether the strokes of RULE_PT or longer cross as a table's rules: three horizontal
    ones each crossed by two vertical ones, or the other way round (two cells at least; a
    box is one)."""
    horizontal = [
        (e["top"], e["x0"], e["x1"])
        for e in edges
        if e["orientation"] == "h" and e["width"] >= RULE_PT
    ]
    vertical = [
        (e["x0"], e["top"], e["bottom"])
        for e in edges
        if e["orientation"] == "v" and e["height"] >= RULE_PT
    ]
    if len(horizontal) < 2 or len(vertical) < 2:
        return False
    tolerance = _STRAIGHT_PT
    # Vertical strokes by x: each horizontal one looks only at those within its span, and
    # the search ends as soon as the crossings make a grid (a page of strokes is thousands).
    by_x = sorted(vertical)
    xs = [v[0] for v in by_x]
    v_hits = [0] * len(by_x)
    h_crossed = 0
    v_crossed = 0
    for y, x0, x1 in horizontal:
        hits = 0
        for i in range(
            bisect.bisect_left(xs, x0 - tolerance), bisect.bisect_right(xs, x1 + tolerance)
        ):
            _, y0, y1 = by_x[i]
            if y0 - tolerance <= y <= y1 + tolerance:
                hits += 1
                v_hits[i] += 1
                v_crossed += v_hits[i] == 2
        h_crossed += hits >= 2
        if (h_crossed >= 3 and v_crossed >= 2) or (h_crossed >= 2 and v_crossed >= 3):
            return True
    return False


BOLD = 600  # a font weight this heavy or more is bold (400 is regular)
WIDE_GAP_EM = 1.2  # a gap this many line heights wide (or WIDE_GAP_MIN_PT) ends a run
WIDE_GAP_MIN_PT = 8.0
MIN_IMAGE_SHARE = 0.01  # smaller images (logos, bullets) are not looked into
_ROWS = 400  # an image is looked at as this many rows: about 0.75 mm each on a full page
_CELLS = 32
_INKS_KEPT = 256  # images whose rows of ink a document remembers


def _ink_bands(
    obj: pdfium.PdfImage, box: Box, seen: Matrix, inks: dict[bytes, bytes] | None = None
) -> list[tuple[float, float]]:
    """The horizontal bands of an image that hold ink, in page coordinates. A row has ink
    when some cell of it is clearly darker than the image's background. `seen`: the image's
    matrix as the page is shown; an image turned on its side counts as ink throughout.
    `inks`: each image's darkest cells by row, by its data: a logo in every page's head
    is decoded once a document, not once a page."""
    a, b, c, d, _, _ = seen
    if abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0:
        return [(box.top, box.bottom)]
    key = _image_key(obj) if inks is not None else None
    darkest = inks.get(key) if inks is not None and key is not None else None
    if darkest is None:
        try:
            bitmap = obj.get_bitmap()
        except pdfium.PdfiumError:
            return [(box.top, box.bottom)]  # cannot decode it: assume it holds text
        image = bitmap.to_pil().convert("L")
        rows = min(_ROWS, image.height)
        small = image.resize((_CELLS, rows), Image.Resampling.BOX)
        data = small.tobytes()
        darkest = bytes(min(data[r * _CELLS : (r + 1) * _CELLS]) for r in range(rows))
        if inks is not None and key is not None:
            if len(inks) >= _INKS_KEPT:
                inks.clear()  # a scan's pages, each its own image: nothing recurs
            inks[key] = darkest
    rows = len(darkest)
    if d < 0:
        darkest = darkest[::-1]  # drawn flipped: its first row is at the bottom
    background = sorted(darkest)[int(0.9 * (rows - 1))]
    step = (box.bottom - box.top) / rows
    bands: list[tuple[float, float]] = []
    for r, value in enumerate(darkest):
        if value < background - 24:
            top = box.top + r * step
            if bands and abs(bands[-1][1] - top) < 1e-6:
                bands[-1] = (bands[-1][0], top + step)
            else:
                bands.append((top, top + step))
    return bands


def _image_key(obj: pdfium.PdfImage) -> bytes | None:
    """The image's stream as stored (compressed: a copy, not a decoding), with its size
    and filters: the same picture drawn on several pages has the same key."""
    size = raw.FPDFImageObj_GetImageDataRaw(obj.raw, None, 0)
    if size <= 0:
        return None
    buffer = ctypes.create_string_buffer(size)
    raw.FPDFImageObj_GetImageDataRaw(obj.raw, buffer, size)
    digest = hashlib.blake2b(buffer.raw, digest_size=16).digest()
    width, height = obj.get_px_size()
    return digest + f"{width}x{height}:{','.join(obj.get_filters())}".encode()


def _lines(textpage: raw.FPDF_TEXTPAGE, frame: Frame) -> list[Line]:
    """The page's text in PDFium's order, cut into its lines, each with its box. One call
    reads the text; boxes, render mode and Unicode-map errors are read per line (at its
    first and last character), which keeps a page to a few milliseconds."""
    count = raw.FPDFText_CountChars(textpage)
    if count <= 0:
        return []
    drawn = page_text(textpage, count)
    text = lam_alef(textpage, drawn)
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    boxes = (ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))
    get_box, shown = raw.FPDFText_GetCharBox, frame.box

    def char_box(i: int) -> Area:
        get_box(textpage, i, *boxes)
        return shown(left.value, bottom.value, right.value, top.value)

    lines: list[Line] = []
    for match in _LINE.finditer(text):
        first, last = match.start(), match.end() - 1
        a, b = char_box(first), char_box(last)
        box = Box(min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
        obj = raw.FPDFText_GetTextObject(textpage, first)
        mode = raw.FPDFTextObj_GetTextRenderMode(obj) if obj else 0
        unmapped = sum(raw.FPDFText_HasUnicodeMapError(textpage, i) == 1 for i in {first, last})
        line = _BULLET.sub("•", match.group().translate(_SOFT_HYPHEN_TO_U00AD))
        height = box.bottom - box.top
        runs = _runs(textpage, first, last, frame, height)
        if not runs and _DIGIT.search(text, first, last + 1):  # a row of figures, maybe
            runs = _spaced_runs(text, first, last, char_box, height)
        if runs and text is not drawn and drawn[first : last + 1] != match.group():
            runs = _runs_mended(runs, drawn[first : last + 1], match.group())
        # The larger of its ends: a footnote's mark or a bullet may be set smaller than its
        # line. A symbol (a check box, a bullet) set larger is no heading: letters' ends.
        span = range(first, last + 1)
        head = next((i for i in span if text[i].isalnum()), None)
        tail = next((i for i in reversed(span) if text[i].isalnum()), None)
        ends = [head, tail] if head is not None and tail is not None else [first, last]
        size = max(raw.FPDFText_GetFontSize(textpage, i) for i in ends)
        if size <= 1.0:
            # Set at size 1 and scaled by the text matrix (Word, LaTeX): the height of the
            # glyphs' em box says the size the reader sees.
            size = max(_em_height(textpage, i, frame) for i in ends)
        bold = all(raw.FPDFText_GetFontWeight(textpage, i) >= BOLD for i in (first, last))
        invisible = mode == raw.FPDF_TEXTRENDERMODE_INVISIBLE
        lines.append(Line(line, box, invisible, unmapped, runs, size, bold))
    return lines


def _em_height(textpage: raw.FPDF_TEXTPAGE, index: int, frame: Frame) -> float:
    rect = raw.FS_RECTF()
    if not raw.FPDFText_GetLooseCharBox(textpage, index, ctypes.byref(rect)):
        return 0.0
    _, top, _, bottom = frame.box(rect.left, rect.bottom, rect.right, rect.top)
    return round(bottom - top, 1)


def _runs(
    textpage: raw.FPDF_TEXTPAGE, first: int, last: int, frame: Frame, height: float
) -> tuple[tuple[str, float, float], ...]:
    """The line's runs of text between gaps wider than a word space (a cell boundary in a
    table set without rules); () when there is none. PDFium's rectangles of the line's text
    objects are measured (a few calls a line); only a line with a wide gap is read again,
    run by run."""
    count = raw.FPDFText_CountRects(textpage, first, last - first + 1)
    if count < 2:
        return ()
    left, top, right, bottom = (ctypes.c_double() for _ in range(4))
    refs = (ctypes.byref(left), ctypes.byref(top), ctypes.byref(right), ctypes.byref(bottom))
    rects = []
    for i in range(count):
        raw.FPDFText_GetRect(textpage, i, *refs)
        rects.append(frame.box(left.value, bottom.value, right.value, top.value))
    rects.sort()
    widest = max(WIDE_GAP_EM * height, WIDE_GAP_MIN_PT)
    merged = [list(rects[0])]
    for rect in rects[1:]:
        if rect[0] - merged[-1][2] > widest:
            merged.append(list(rect))
        else:
            merged[-1][1] = min(merged[-1][1], rect[1])
            merged[-1][2] = max(merged[-1][2], rect[2])
            merged[-1][3] = max(merged[-1][3], rect[3])
    if len(merged) < 2:
        return ()
    runs = []
    # One call a run reads its text into a buffer of room enough for most (PDFium scans
    # the whole page for each call); a run with more text is read again at its size.
    room = 4 * (last - first + 1) + 64
    buffer = ctypes.create_string_buffer((room + 1) * 2)
    units = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort))
    for run in merged:
        ux0, ut, ux1, ub = frame.user_box(*run)  # PDFium reads text inside user space
        size = raw.FPDFText_GetBoundedText(textpage, ux0, ut, ux1, ub, units, room)
        if size >= room:
            size = raw.FPDFText_GetBoundedText(textpage, ux0, ut, ux1, ub, None, 0)
            more = ctypes.create_string_buffer((size + 1) * 2)
            raw.FPDFText_GetBoundedText(
                textpage, ux0, ut, ux1, ub, ctypes.cast(more, ctypes.POINTER(ctypes.c_ushort)), size
            )
            text = more.raw[: size * 2].decode("utf-16-le", errors="replace")
        else:
            # The count written takes in the terminating NUL where there was room for it.
            text = buffer.raw[: size * 2].decode("utf-16-le", errors="replace")
            text = text.removesuffix("\x00")
        runs.append((" ".join(text.split()), run[0], run[2]))
    return tuple(runs)


def _runs_mended(
    runs: tuple[tuple[str, float, float], ...], drawn: str, mended: str
) -> tuple[tuple[str, float, float], ...]:
    """The runs (read by PDFium in the order drawn) with the words their line's text had
    mended (`lam_alef`) mended alike."""
    before, after = drawn.split(), mended.split()
    if len(before) != len(after):
        return runs
    words = {a: b for a, b in zip(before, after, strict=True) if a != b}
    return tuple((" ".join(words.get(w, w) for w in r[0].split()), r[1], r[2]) for r in runs)


def _spaced_runs(
    text: str, first: int, last: int, char_box: Callable[[int], Area], height: float
) -> tuple[tuple[str, float, float], ...]:
    """The line's runs where one text object holds them all (a row set with tab stops, its
    gaps made by kerning or by spaces): split at the spaces whose letters either side
    stand wider apart than `_runs` allows, and wider than twice the line's narrowest
    space (a justified line's spaces are all stretched alike); () when none are."""
    widest = max(WIDE_GAP_EM * height, WIDE_GAP_MIN_PT)
    gaps = []  # (width, end of a run, start of the next): character indices
    for space in _SPACES.finditer(text, first, last + 1):
        before, after = space.start() - 1, space.end()
        gaps.append((char_box(after)[0] - char_box(before)[2], before, after))
    if not gaps:
        return ()
    narrowest = min(width for width, _, _ in gaps) if len(gaps) > 1 else 0.0
    cuts = [(b, a) for width, b, a in gaps if width > max(widest, SPACED_CUT * narrowest)]
    if not cuts:
        return ()
    starts = [first] + [after for _, after in cuts]
    ends = [before for before, _ in cuts] + [last]
    return tuple(
        (" ".join(text[a : b + 1].split()), char_box(a)[0], char_box(b)[2])
        for a, b in zip(starts, ends, strict=True)
    )


_SPACES = re.compile(r" +")
_DIGIT = re.compile(r"\d")
SPACED_CUT = 2.0


# A bullet of a symbol font without a Unicode map, drawn as one or two glyphs ("r\ufffd"
# before a list item): the bullet it is.
_BULLET = re.compile(rf"^\S?{BROKEN_CHARS.pattern}+(?=\s)")
# A line: from its first to its last character that is not a space or a line break.
_LINE = re.compile(r"[^\r\n ](?:[^\r\n]*[^\r\n ])?")
# PDFium gives a hyphen it kept at a line end as U+0002 (GetUnicode) or U+FFFE (GetText);
# U+00AD, the soft hyphen, is what both mean.
_SOFT_HYPHEN_TO_U00AD = {0x02: 0xAD, 0xFFFE: 0xAD}


def _clip(box: Box, width: float, height: float) -> Box:
    return Box(
        max(box.left, 0.0), max(box.top, 0.0), min(box.right, width), min(box.bottom, height)
    )


def reflow(lines: list[Line]) -> str:
    """Lines into paragraphs, as a reader (and OCR) sees them (see `paragraphs`)."""
    return "\n\n".join(text for text, _ in paragraphs(lines))


def paragraphs(lines: list[Line]) -> list[tuple[str, list[Line]]]:
    """The paragraphs of `lines`, each with the lines it was made of: a wrapped line is
    joined to the next (a hyphen at a line end between two letters is removed), and a
    paragraph ends where the next line starts a new block, is far below, or could have
    continued the line."""
    if not lines:
        return []
    height = statistics.median(line.box.bottom - line.box.top for line in lines) or 10.0
    gaps = [b.box.top - a.box.bottom for a, b in itertools.pairwise(lines)]
    # The usual space between two lines of one paragraph: a paragraph break is well above it.
    usual = statistics.median([g for g in gaps if g > 0] or [0.3 * height])
    edges = _right_edges(lines, 1.5 * height)
    size = statistics.median(line.size for line in lines)
    found: list[tuple[str, list[Line]]] = []
    current, members = _clean(lines[0].text), [lines[0]]
    for i, (prev, line) in enumerate(itertools.pairwise(lines)):
        text = _clean(line.text)
        if _heading_wraps(prev, line, size) or _continues(prev, line, height, usual, edges[i]):
            if current.endswith("\u00ad") or (
                current[-1:] in _HYPHENS and current[-2:-1].isalpha() and text[:1].islower()
            ):
                current = current[:-1] + text
            else:
                current = f"{current} {text}"
            members.append(line)
        else:
            found.append((current, members))
            current, members = text, [line]
    found.append((current, members))
    return [(text.replace("\u00ad", ""), members) for text, members in found]


HEADING_SCALE = 1.3  # a heading's lines are set this much larger than the text
BOLD_HEADING_SCALE = 1.15  # or this much larger, in bold


def _heading_wraps(prev: Line, line: Line, size: float) -> bool:
    """Whether `line` is the second line of the heading `prev`: both set large (or a little
    larger and bold: "INTERNATIONAL TECHNICAL" / "SUPPORT ORGANIZATION"), alike, the one
    right under the other and within its width (a chapter title wraps under its words,
    past its number: "Chapter 1. Securing and protecting" / "data"; a centred title's
    second line is shorter)."""
    larger = prev.size >= HEADING_SCALE * size or (
        prev.size >= BOLD_HEADING_SCALE * size and prev.bold
    )
    return (
        size > 0
        and larger
        and abs(prev.size - line.size) <= 0.05 * prev.size
        and prev.bold == line.bold
        and 0 <= line.box.top - prev.box.bottom <= 0.75 * prev.size
        and prev.box.left - 1 <= line.box.left < prev.box.right
    )


def _right_edges(lines: list[Line], tolerance: float) -> list[float]:
    """Each line's column's right edge: the furthest right of the lines that start where it
    starts (within `tolerance`). On a two-column page a left-column line is full when it
    reaches the left column's edge, not the page's."""
    order = sorted(range(len(lines)), key=lambda i: lines[i].box.left)
    edges = [0.0] * len(lines)
    start = 0
    for k in range(1, len(order) + 1):
        if k == len(order) or (lines[order[k]].box.left - lines[order[k - 1]].box.left > tolerance):
            group = order[start:k]
            edge = max(lines[i].box.right for i in group)
            for i in group:
                edges[i] = edge
            start = k
    return edges


def _clean(text: str) -> str:
    # A glyph with no Unicode meaning (a math font without a map) stays, marked U+FFFD.
    return BROKEN_CHARS.sub("\ufffd", re.sub(r"[ \t]+", " ", text)).strip()


LETTERED = re.compile(r"^\w\)")  # a lettered list item: "а) ...", "b) ..."
# A numbered item or section: "1. ...", "2) ...", "3.1 ...", "4.2.1. ..."; not a date
# ("15.03.2026 г.") or an amount ("1 000 рублей") that a wrapped line opens with.
_NUMBERED = re.compile(r"^\d{1,3}(?:[.)]|(?:\.\d{1,2}){1,3}\.?)(?:\s|$)")


def _continues(prev: Line, line: Line, height: float, usual: float, right_edge: float) -> bool:
    """Whether `line` carries on `prev`'s paragraph (wrapped onto the next line)."""
    gap = line.box.top - prev.box.bottom
    if gap < -0.5 * height or gap > max(1.5 * usual, 0.5 * height) or gap > 2 * height:
        # Not the next line down: a new block, column or section. Two lines apart even on
        # a page whose lines all stand far apart (its usual gap says nothing).
        return False
    if abs(line.box.left - prev.box.left) > 1.5 * height:
        return False  # indented or out-dented: a new paragraph, a list item, a table cell
    last, first = prev.text.rstrip()[-1:], line.text.lstrip()[:1]
    if prev.size and line.size and abs(prev.size - line.size) > 0.1 * max(prev.size, line.size):
        return False  # another size: a heading over its text, a footnote under it
    if prev.bold != line.bold and not first.islower():
        return False  # a bold heading over text set at its size
    if not (first.isalnum() or first in "(«\"'"):
        return False  # a bullet, a dash, a figure: kept as its own line
    if first.isdigit() and (_NUMBERED.match(line.text.lstrip()) or line.runs):
        return False  # a numbered item or section, a row of figures
    if last.isdigit() and not first.islower():
        return False
    if first.islower() and last not in ".!?:;" and not LETTERED.match(line.text.lstrip()):
        # Mid-sentence: a break made by hand ("... сбора заявок и" / "составляет ..."), not
        # the end of a paragraph, however short the line.
        return True
    per_char = (prev.box.right - prev.box.left) / max(len(prev.text), 1)
    if last in ".!?:" and (first.isupper() or first.isdigit()):
        # A sentence ends at the line end: one paragraph only if the line is full.
        return prev.box.right >= right_edge - 2 * per_char
    # The first word of `line` would have fitted at the end of `prev`: the break was meant.
    first_word = len(line.text.split(" ", 1)[0]) + 1
    return prev.box.right + first_word * per_char > right_edge - per_char
