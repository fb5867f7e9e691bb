"""Statements set without rules whose rows are anchored on a column of line codes: a balance
sheet as the tax service's software prints it (form 0710001: label, "Код строки", two or three
value columns), its scan, a report on the use of funds, any form with "Код" beside its labels.

The aligned-columns finder (`tables.aligned_tables`) wants rows of three runs or more one
after the other; such a statement has rows of a label and a code alone (a line left blank),
labels wrapped over two or three lines, the code set level with the label's middle line, and
its figures in comb fields ("5 0 5"). Here the column of codes decides: four codes or more,
one above the other, of one length; the lines around each code that stand close to it (a
wrapped label, a figure a little lower) are its row; a short line standing apart between two
rows is a section row ("АКТИВ"); the lines close together above the first row are the
header, merged column by column (the columns' numbers and the statement's title left out).
A line of prose inside the statement's extent stops it: no table is glued to prose.
"""

from __future__ import annotations

import re
import statistics

from ocrkit.pdf.text_layer import Box, Line
from ocrkit.structure.tables import Cell, Table

CODES_MIN = 4  # codes it takes, one above the other, to make a statement
SAME_LENGTH = 0.8  # share of a column's codes of one length (figures vary in length)
TIGHT = 0.6  # of a line's height: lines this close are one row's (a wrapped label)
PROSE_CHARS = 120  # a line this long inside a statement is prose: the statement ends there
HEADER_LINES = 10  # lines looked back at for the header, sections and column numbers
HEADER_GAP = 1.0  # of a line's height: the most between two lines of the header
CENTRED = 0.02  # of the statement's width: a line centred on it this closely is its title
NAME_NEAR = 0.25  # of a column's name's width: how far from its figures it may stand

_LINE_CODE = re.compile(r"^\d{3,5}$")  # a form's line code: "1150", "010", "6200"
_COMB = re.compile(r"^[(\-]?\d(?: \d)+\)?$")  # a comb field's digits, a box each: "1 3 5 6"
_NUMBERING = re.compile(r"^\d{1,2}$")  # a column's number under the header
_FIGURE = re.compile(r"[\d\-–—]")  # what a value column's pieces hold

Piece = tuple[str, float, float]  # text, left, right


def coded_tables(lines: list[Line]) -> list[Table]:
    """The statements anchored on a column of line codes among `lines` (in reading order)."""
    tables: list[Table] = []
    used: set[int] = set()
    for codes, left, right in _code_columns(lines):
        if used & set(codes):
            continue
        found = _statement(lines, codes, left, right, used)
        if found is not None:
            table, taken = found
            tables.append(table)
            used |= taken
    return tables


def _pieces(line: Line) -> list[Piece]:
    return list(line.runs) if line.runs else [(line.text, line.box.left, line.box.right)]


def _code_columns(lines: list[Line]) -> list[tuple[list[int], float, float]]:
    """Lines holding codes one above the other (their pieces overlapping across), each
    column's lines top to bottom with its left and right, the leftmost column first."""
    found = [
        (k, piece)
        for k, line in enumerate(lines)
        for piece in _pieces(line)
        if _LINE_CODE.match(piece[0].strip())
    ]
    groups: list[list[tuple[int, Piece]]] = []
    for k, piece in sorted(found, key=lambda f: f[1][1]):
        for group in groups:
            left = min(p[1] for _, p in group)
            right = max(p[2] for _, p in group)
            if piece[1] < right and left < piece[2]:
                group.append((k, piece))
                break
        else:
            groups.append([(k, piece)])
    columns: list[tuple[list[int], float, float]] = []
    for group in groups:
        ks = sorted({k for k, _ in group})
        lengths = [len(p[0].strip()) for _, p in group]
        common = max(lengths.count(n) for n in set(lengths))
        # Labels stand to the left of the codes (a column of figures has codes there).
        left, right = min(p[1] for _, p in group), max(p[2] for _, p in group)
        labelled = sum(_labelled(lines, k, left) for k in ks)
        enough = len(ks) >= CODES_MIN and labelled * 2 >= len(ks)
        if enough and common >= SAME_LENGTH * len(lengths):
            columns.append((ks, left, right))
    return sorted(columns, key=lambda c: c[1])


def _labelled(lines: list[Line], k: int, left: float) -> bool:
    """Whether text stands left of `left` level with line `k` (on it, or on a line of its
    own there: PDFium gives a label and its code as two lines when they are two objects)."""
    box = lines[k].box
    return any(
        min(x.box.bottom, box.bottom) > max(x.box.top, box.top)
        and any(q[2] <= left for q in _pieces(x))
        for x in lines
    )


def _statement(
    lines: list[Line], codes: list[int], code_left: float, code_right: float, used: set[int]
) -> tuple[Table, set[int]] | None:
    height = statistics.median(lines[k].box.bottom - lines[k].box.top for k in codes)
    top, bottom = lines[codes[0]].box.top, lines[codes[-1]].box.bottom
    # The lines of the statement's extent (and those tight below its last code: the last
    # label's wrapped end), in order down the page.
    members = sorted(
        (
            k
            for k, line in enumerate(lines)
            if k not in used and top - TIGHT * height <= line.box.top <= bottom + TIGHT * height
        ),
        key=lambda k: (lines[k].box.top, lines[k].box.left),
    )
    while True:
        last = lines[members[-1]].box.bottom
        after = [
            k
            for k, line in enumerate(lines)
            if k not in used and k not in members and 0 <= line.box.top - last <= TIGHT * height
        ]
        if not after:
            break
        members += sorted(after, key=lambda k: lines[k].box.left)
    if any(len(lines[k].text) > PROSE_CHARS for k in members):
        return None
    rows = _rows(lines, members, set(codes), height)
    columns = _value_columns(lines, rows, code_right)
    taken = used | set(members)
    head, head_lines, sections = _header(lines, taken, members, code_left, code_right, columns)
    # A column the header names but no row fills (last year's figures left blank) is one.
    named = [
        (p[1], p[2])
        for k in head_lines
        for p in _pieces(lines[k])
        if p[1] >= code_right - 1 and not any(min(p[2], b) > max(p[1], a) for a, b in columns)
    ]
    if named:
        # A name set just beside its column's figures (centred over them, the figures set
        # flush right) widens that column; one further off is a column of its own.
        own = []
        for a, b in _merged(sorted(named)):
            near = [
                i
                for i, (left, right) in enumerate(columns)
                if min(abs(a - right), abs(left - b)) <= NAME_NEAR * (b - a)
            ]
            if near:
                left, right = columns[near[0]]
                columns[near[0]] = (min(left, a), max(right, b))
            else:
                own.append((a, b))
        columns = _merged(sorted(columns + own))
        head, head_lines, sections = _header(lines, taken, members, code_left, code_right, columns)
    grid: list[list[list[Piece]]] = []
    boxes: list[Box] = []
    for row in rows:
        slots: list[list[Piece]] = [[] for _ in range(2 + len(columns))]
        for k in row:
            for piece in _pieces(lines[k]):
                if not piece[0].strip(" .·"):
                    continue  # a dotted leader, a comb's dots
                slots[_slot(piece, code_left, code_right, columns)].append(piece)
        grid.append(slots)
        boxes.append(_box([lines[k] for k in row]))
    for k in reversed(sections):
        grid.insert(0, [_pieces(lines[k]), *([] for _ in range(1 + len(columns)))])
        boxes.insert(0, _box([lines[k]]))
    if head is not None:
        grid.insert(0, head)
        boxes.insert(0, _box([lines[k] for k in head_lines]))
    texts = [[_cell(s) for s in slots] for slots in grid]
    cells = [
        Cell(r, c, text, Box(min(p[1] for p in slot), box.top, max(p[2] for p in slot), box.bottom))
        for r, (slots, box) in enumerate(zip(grid, boxes, strict=True))
        for c, (slot, text) in enumerate(zip(slots, (_cell(s) for s in slots), strict=True))
        if text
    ]
    table_box = Box(
        min(b.left for b in boxes),
        min(b.top for b in boxes),
        max(b.right for b in boxes),
        max(b.bottom for b in boxes),
    )
    return Table(table_box, texts, cells), set(members) | set(head_lines) | set(sections)


def _rows(lines: list[Line], members: list[int], codes: set[int], height: float) -> list[list[int]]:
    """The statement's lines as its rows: lines close together make a block, a block with
    one code one row; a block with several is cut between its codes, each line going to the
    code nearest it; a block without a code is a row of its own (a section's label)."""
    blocks: list[list[int]] = []
    for k in members:
        if (
            blocks
            and lines[k].box.top - max(lines[j].box.bottom for j in blocks[-1]) <= TIGHT * height
        ):
            blocks[-1].append(k)
        else:
            blocks.append([k])
    rows = []
    for block in blocks:
        anchors = [k for k in block if k in codes]
        if len(anchors) <= 1:
            rows.append(block)
            continue
        parts: dict[int, list[int]] = {a: [] for a in anchors}
        for k in block:
            middle = (lines[k].box.top + lines[k].box.bottom) / 2
            nearest = min(
                anchors,
                key=lambda a: abs((lines[a].box.top + lines[a].box.bottom) / 2 - middle),
            )
            parts[nearest].append(k)
        rows += [parts[a] for a in anchors]
    return rows


def _value_columns(
    lines: list[Line], rows: list[list[int]], code_right: float
) -> list[tuple[float, float]]:
    """The value columns right of the codes: the extents of the figures' pieces, those that
    overlap across merged (a piece with no figure, OCR's reading of a dotted line across
    the columns, makes none)."""
    spans = sorted(
        (p[1], p[2])
        for row in rows
        for k in row
        for p in _pieces(lines[k])
        if p[1] >= code_right - 1 and _FIGURE.search(p[0])
    )
    return _merged(spans)


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Spans sorted by their left, those that overlap made one."""
    columns: list[list[float]] = []
    for left, right in spans:
        if columns and left < columns[-1][1]:
            columns[-1][1] = max(columns[-1][1], right)
        else:
            columns.append([left, right])
    return [(a, b) for a, b in columns]


def _slot(
    piece: Piece, code_left: float, code_right: float, columns: list[tuple[float, float]]
) -> int:
    """The grid column a piece stands in: 0 the labels, 1 the codes, 2 on the values'."""
    if piece[2] <= code_left + 1:
        return 0
    spans = [(code_left, code_right), *columns]
    overlaps = [min(piece[2], r) - max(piece[1], left) for left, r in spans]
    best = max(range(len(spans)), key=overlaps.__getitem__)
    if overlaps[best] <= 0:
        # Between columns: the nearest.
        centre = (piece[1] + piece[2]) / 2
        best = min(range(len(spans)), key=lambda i: abs((spans[i][0] + spans[i][1]) / 2 - centre))
    return best + 1


def _header(
    lines: list[Line],
    taken: set[int],
    members: list[int],
    code_left: float,
    code_right: float,
    columns: list[tuple[float, float]],
) -> tuple[list[list[Piece]] | None, list[int], list[int]]:
    """What stands above the first row, going up: section labels over the labels' column
    alone ("АКТИВ", rows of the statement), the row numbering its columns ("1 2 3 4 5 6",
    left out), then the header, lines close together whose pieces stand over the columns,
    merged column by column into one row. A line set further off (the title) ends it.
    Returns the header, its lines and the sections' lines."""
    first = lines[members[0]]
    height = first.box.bottom - first.box.top
    above = sorted(
        (
            k
            for k, line in enumerate(lines)
            if k not in taken and line.box.bottom <= first.box.top + 1
        ),
        key=lambda k: -lines[k].box.top,
    )[:HEADER_LINES]
    head: list[list[Piece]] = [[] for _ in range(2 + len(columns))]
    sections: list[int] = []
    found: list[int] = []
    edge = first.box.top
    extent = [min(lines[k].box.left for k in members), max(lines[k].box.right for k in members)]
    for k in above:
        line = lines[k]
        gap = edge - line.box.bottom
        if gap > (HEADER_GAP if found else 3) * height:
            break
        pieces = _pieces(line)
        middle, centre = (line.box.left + line.box.right) / 2, (extent[0] + extent[1]) / 2
        if found and len(pieces) == 1 and abs(middle - centre) <= CENTRED * (extent[1] - extent[0]):
            break  # the statement's title, centred over it and its header
        slots = [_slot(p, code_left, code_right, columns) for p in pieces]
        if not found and set(slots) == {0}:
            sections.insert(0, k)  # a section's label right above the rows
        elif len(pieces) >= 3 and all(_NUMBERING.match(p[0].strip()) for p in pieces):
            pass  # the columns' numbers
        else:
            found.insert(0, k)
            extent = [min(extent[0], line.box.left), max(extent[1], line.box.right)]
            # Going up: each line's pieces go before those of the lines below it.
            for i, piece in reversed(list(zip(slots, pieces, strict=True))):
                head[i].insert(0, piece)
        edge = line.box.top
    if len({i for i, slot in enumerate(head) if slot}) < 2:
        return None, [], sections
    return head, found, sections


def _cell(pieces: list[Piece]) -> str:
    text = " ".join(" ".join(p[0].split()) for p in pieces)
    return text.replace(" ", "") if _COMB.match(text) else text


def _box(members: list[Line]) -> Box:
    return Box(
        min(x.box.left for x in members),
        min(x.box.top for x in members),
        max(x.box.right for x in members),
        max(x.box.bottom for x in members),
    )
