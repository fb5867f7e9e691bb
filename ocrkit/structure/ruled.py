"""Tables ruled on a page image (a scan, a photo): the ruling lines found by morphology
(OpenCV, as img2table finds them), the grid they draw, a merged cell wherever a rule between
two slots is missing, and each cell filled with the OCR words whose centre lies in it. The
header rows are inside the table because its rules enclose them.

Lines are looked for at lengths set by the page's size: horizontal rules at least 1/30 of
its width, vertical ones at least 1/80 of its height (a row's height: column rules run
from rule to rule). A group of rules that cross makes a table when it draws two rows or
more and two columns or more; underlines and boxes around a paragraph do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from ocrkit.pdf.text_layer import Box
from ocrkit.structure.blocks import BBox, Block
from ocrkit.structure.tables import Cell, Table

# numpy is imported where it is used: a run whose pages all come from their text layers
# never loads it (a tenth of a second or two of every start).
if TYPE_CHECKING:
    import numpy as np

H_SHARE = 1 / 30  # a horizontal rule's least length, of the page's width
V_SHARE = 1 / 80  # a vertical rule's least length, of the page's height
COVER = 0.5  # a rule bounds a slot where it runs along this share of the slot's side
TEXT_RULE = 1.3  # a vertical rule's least length, of the page's usual word height
GAP = 3  # pixels (at half size) bridged anywhere: a rule's speckle; letters are further apart
PIECE = 12  # pixels (at half size): a run this long may be a piece of a broken rule
RULE_MARKS = "|[]_—–-"  # what OCR reads a rule as: a "word" of these alone is none


@dataclass(frozen=True)
class _Rule:
    a: int  # start (x for a horizontal rule, y for a vertical one)
    b: int  # end
    at: int  # where it runs (y for horizontal, x for vertical)


def ruled_tables(image: Image.Image, words: list[Block]) -> list[Table]:
    """The ruled tables on `image` (pixels), their cells filled with `words` (pixel boxes)."""
    import numpy as np

    # Rules are looked for at half size (a quarter of the pixels; a rule of one pixel stays
    # dark enough), their places scaled back to the image's.
    small = image.convert("L")
    scale = 2 if min(small.size) >= 1200 else 1
    gray = np.asarray(small.reduce(scale) if scale > 1 else small)
    ink = _ink(gray)
    height, width = gray.shape
    horizontal = [_scaled(r, scale) for r in _rules(ink, max(20, int(width * H_SHARE)))]
    # A letter's stem is as long as its word is tall, and a row is taller than its text:
    # shorter vertical runs are letters, not rules.
    usual = _text_height(words)
    stem = TEXT_RULE * usual / scale
    # A pen's tick or a speck that OCR read as a stroke ("/", "|") but stands a fraction of
    # a letter's height is no word of any cell.
    words = [w for w in words if not _speck(w, usual)]
    vertical = [_scaled(r, scale) for r in _rules(ink.T, int(max(15, height * V_SHARE, stem)))]
    tolerance = max(4, width * scale // 250)
    vertical = _strokes_dropped(vertical, words, tolerance)
    cell_height = _text_height(words)  # the cells' words' usual height, specks gone
    tables = []
    for hs, vs in _groups(horizontal, vertical, tolerance):
        table = _table(hs, vs, tolerance, words, cell_height)
        if table is not None:
            tables.append(table)
    return tables


SPECK = 0.5  # of the usual word's height: a stroke read from less is a speck or a tick


def _speck(word: Block, usual: float) -> bool:
    b = word.bbox
    strokes = word.content.strip() and not word.content.strip().strip("/\\|")
    return bool(strokes) and b is not None and b.y1 - b.y0 < SPECK * usual


def _in_a_word(rule: _Rule, words: list[Block]) -> bool:
    """Whether the vertical rule runs mostly inside a word's box, other than where OCR read
    the rule itself as the word's mark: a "|" alone, the "[" of "[КПП", the "|" of "453|"."""
    for w in words:
        b, text = w.bbox, w.content
        if b is None or not text.strip(RULE_MARKS) or not b.x0 - 2 <= rule.at <= b.x1 + 2:
            continue
        if min(rule.b, b.y1) - max(rule.a, b.y0) < 0.5 * (rule.b - rule.a):
            continue
        char = 1.5 * (b.x1 - b.x0) / len(text)  # a mark's place, give or take a letter
        if (text[0] in RULE_MARKS and rule.at <= b.x0 + char) or (
            text[-1] in RULE_MARKS and rule.at >= b.x1 - char
        ):
            continue
        return True
    return False


def _strokes_dropped(vertical: list[_Rule], words: list[Block], tolerance: int) -> list[_Rule]:
    """The vertical rules without the glyphs' strokes among them. A stroke inside a word is
    a glyph (a bracket taller than the figures, "(12 527)"; a bold letter's stem), unless a
    rule outside any word goes on from it (the same place, within a row's height): then it is
    that rule's piece, which OCR read a word across (a photo's header row)."""
    inside = [_in_a_word(r, words) for r in vertical]
    free = [r for r, i in zip(vertical, inside, strict=True) if not i]

    def continued(r: _Rule) -> bool:  # a free rule at its place, a row's height from it
        reach = r.b - r.a
        return any(
            abs(r.at - f.at) <= tolerance and f.a - reach <= r.b and r.a <= f.b + reach
            for f in free
        )

    return [r for r, i in zip(vertical, inside, strict=True) if not i or continued(r)]


def _scaled(rule: _Rule, scale: int) -> _Rule:
    return _Rule(rule.a * scale, rule.b * scale, rule.at * scale)


WINDOW = 12  # pixels (at half size) each side of a pixel that its local background is taken over
CONTRAST = 15  # how much darker than its surroundings a pixel must be to be ink


def _ink(gray: np.ndarray) -> np.ndarray:
    """Pixels darker than the mean of the window around them (uneven light in a scan or a
    photo leaves the rules and the letters, not the shadows): an integral image's sums."""
    import numpy as np

    k = 2 * WINDOW + 1
    padded = np.pad(gray, WINDOW + 1, mode="edge")
    total = np.cumsum(np.cumsum(padded, axis=0, dtype=np.uint32), axis=1, dtype=np.uint32)
    # Window sums by slices; uint32 wraps past 2**32, the differences come out right.
    sums = total[k:, k:] - total[:-k, k:] - total[k:, :-k] + total[:-k, :-k]
    h, w = gray.shape
    mean = (sums[:h, :w] // (k * k)).astype(np.int16)
    return gray.astype(np.int16) < mean - CONTRAST


def _rules(ink: np.ndarray, length: int) -> list[_Rule]:
    """The rules along the rows of `ink` (pass its transpose for vertical ones): runs of ink
    at least `length` long, short gaps in them (a scan's broken line) bridged, the runs of
    neighbouring rows that lie along each other made one rule."""
    import numpy as np

    h, w = ink.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = ink
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    if not len(starts):
        return []
    # Runs of ink with small gaps bridged; then wider gaps (a scan's broken rule) only between
    # pieces long enough to be rules: bridging them everywhere makes a line of letters one
    # long "rule".
    starts, ends, rows = _bridged(rows, starts, ends, GAP)
    piece = ends - starts >= PIECE
    starts, ends, rows = starts[piece], ends[piece], rows[piece]
    if not len(starts):
        return []
    g_starts, g_ends, g_rows = _bridged(rows, starts, ends, max(GAP, length // 10))
    long = g_ends - g_starts >= length
    segments = sorted(
        zip(g_rows[long].tolist(), g_starts[long].tolist(), g_ends[long].tolist(), strict=True)
    )
    rules: list[list[int]] = []  # [first row, last row, start, end]
    open_: list[list[int]] = []
    for row, a, b in segments:
        open_ = [r for r in open_ if r[1] >= row - 2]
        for rule in open_:
            if min(rule[3], b) - max(rule[2], a) >= 0.5 * min(rule[3] - rule[2], b - a):
                rule[1], rule[2], rule[3] = row, min(rule[2], a), max(rule[3], b)
                break
        else:
            rule = [row, row, a, b]
            rules.append(rule)
            open_.append(rule)
    return [
        _Rule(a, b, (top + bottom) // 2) for top, bottom, a, b in rules if bottom - top < length
    ]


def _text_height(words: list[Block]) -> float:
    """The median height of the words (pixels); 0 with no words."""
    heights = sorted(
        w.bbox.y1 - w.bbox.y0 for w in words if w.bbox is not None and w.content.strip(RULE_MARKS)
    )
    return float(heights[len(heights) // 2]) if heights else 0.0


def _bridged(
    rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, gap: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs (sorted by row, then start) joined where one ends less than `gap` before the next
    on the same row starts: their starts, ends and rows."""
    import numpy as np

    joined = (rows[1:] == rows[:-1]) & (starts[1:] - ends[:-1] < gap)
    first = np.flatnonzero(np.concatenate([[True], ~joined]))
    return starts[first], np.maximum.reduceat(ends, first), rows[first]


def _crosses(h: _Rule, v: _Rule, tolerance: int) -> bool:
    return h.a - tolerance <= v.at <= h.b + tolerance and v.a - tolerance <= h.at <= v.b + tolerance


def _groups(
    horizontal: list[_Rule], vertical: list[_Rule], tolerance: int
) -> list[tuple[list[_Rule], list[_Rule]]]:
    """The rules in groups that cross one another (union-find over the crossings)."""
    parent = list(range(len(horizontal) + len(vertical)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(horizontal):
        for j, v in enumerate(vertical):
            if _crosses(h, v, tolerance):
                parent[root(i)] = root(len(horizontal) + j)
    groups: dict[int, tuple[list[_Rule], list[_Rule]]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(root(i), ([], []))[0].append(h)
    for j, v in enumerate(vertical):
        groups.setdefault(root(len(horizontal) + j), ([], []))[1].append(v)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def _positions(values: list[int], tolerance: int) -> list[int]:
    """`values` with those within `tolerance` of each other merged (their mean)."""
    merged: list[list[int]] = []
    for v in sorted(values):
        if merged and v - merged[-1][-1] <= tolerance:
            merged[-1].append(v)
        else:
            merged.append([v])
    return [round(sum(m) / len(m)) for m in merged]


def _covered(rules: list[_Rule], at: int, a: int, b: int, tolerance: int) -> bool:
    """Whether the rules running at `at` cover COVER of the span from `a` to `b`."""
    run = sum(max(0, min(r.b, b) - max(r.a, a)) for r in rules if abs(r.at - at) <= 2 * tolerance)
    return run >= COVER * (b - a)


def _table(
    hs: list[_Rule], vs: list[_Rule], tolerance: int, words: list[Block], usual: float
) -> Table | None:
    ys = _positions([h.at for h in hs] + [min(v.a for v in vs), max(v.b for v in vs)], tolerance)
    xs = _positions([v.at for v in vs] + [min(h.a for h in hs), max(h.b for h in hs)], tolerance)
    rows, cols = len(ys) - 1, len(xs) - 1
    if rows < 2 or cols < 2:
        return None
    # Slots joined where no rule parts them: union-find over the grid's slots.
    parent = list(range(rows * cols))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and not _covered(vs, xs[c + 1], ys[r], ys[r + 1], tolerance):
                parent[root(r * cols + c)] = root(r * cols + c + 1)
            if r + 1 < rows and not _covered(hs, ys[r + 1], xs[c], xs[c + 1], tolerance):
                parent[root(r * cols + c)] = root((r + 1) * cols + c)
    slots: dict[int, list[tuple[int, int]]] = {}
    for r in range(rows):
        for c in range(cols):
            slots.setdefault(root(r * cols + c), []).append((r, c))
    texts = _texts(words, xs, ys, usual)
    # A row or column no word lies in is a double rule's gap or a stroke, not the table's.
    keep_rows = _renumber({r for r, _ in texts})
    keep_cols = _renumber({c for _, c in texts})
    cells = []
    for members in slots.values():
        rows_in = sorted({keep_rows[r] for r, _ in members if r in keep_rows})
        cols_in = sorted({keep_cols[c] for _, c in members if c in keep_cols})
        if not rows_in or not cols_in:
            continue
        r0, c0 = min(r for r, _ in members), min(c for _, c in members)
        r1, c1 = max(r for r, _ in members), max(c for _, c in members)
        inside = [w for slot in members for w in texts.get(slot, [])]
        text = " ".join(filter(None, (_unruled(w.content) for w in _reading_order(inside))))
        box = Box(xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1])
        cells.append(
            Cell(
                rows_in[0],
                cols_in[0],
                text,
                box,
                rowspan=rows_in[-1] - rows_in[0] + 1,
                colspan=cols_in[-1] - cols_in[0] + 1,
            )
        )
    cells = _compact(cells)
    n_rows = max((c.row + c.rowspan for c in cells), default=0)
    n_cols = max((c.col + c.colspan for c in cells), default=0)
    if n_rows < 2 or n_cols < 2 or sum(bool(c.text) for c in cells) < 2:
        return None  # a box drawn around a paragraph, or an empty form
    grid = [[""] * n_cols for _ in range(n_rows)]
    for cell in cells:
        grid[cell.row][cell.col] = cell.text
    cells.sort(key=lambda c: (c.row, c.col))
    return Table(Box(xs[0], ys[0], xs[-1], ys[-1]), grid, cells)


def _compact(cells: list[Cell]) -> list[Cell]:
    """The cells with the rows (and columns) that no cell starts in folded into the one
    before: every cell there spans it from above (two lines of one row whose rule is
    missing), so it is no row of its own."""
    from dataclasses import replace

    for axis in ("row", "col"):
        span = f"{axis}span"
        starts = sorted({getattr(c, axis) for c in cells})
        new = {old: i for i, old in enumerate(starts)}
        cells = [
            replace(
                c,
                **{
                    axis: new[getattr(c, axis)],
                    span: sum(
                        getattr(c, axis) <= s < getattr(c, axis) + getattr(c, span) for s in starts
                    ),
                },
            )
            for c in cells
        ]
    return cells


def _a_dash(text: str, b: BBox, usual: float, ys: list[int]) -> bool:
    """A word of dashes that is one as printed: no wider than a letter is tall (a rule read
    as dashes runs on), its middle further from every row's rule than its own height."""
    if not text or set(text) - set("-—–") or b.x1 - b.x0 > 1.5 * usual:
        return False
    cy = (b.y0 + b.y1) / 2
    return all(abs(cy - y) > max(b.y1 - b.y0, usual / 4) for y in ys)


def _renumber(used: set[int]) -> dict[int, int]:
    return {old: new for new, old in enumerate(sorted(used))}


def _texts(
    words: list[Block], xs: list[int], ys: list[int], usual: float
) -> dict[tuple[int, int], list[Block]]:
    """Each grid slot's words; rule marks read as words ("|", "_") are none, but for a dash
    a letter wide, clear of the row's rules: a nil ("-") or a range ("Январь - Декабрь")."""
    found: dict[tuple[int, int], list[Block]] = {}
    for word in (part for w in words for part in _split_at_rule(w, xs)):
        b = word.bbox
        if b is None:
            continue
        cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
        if not word.content.strip(RULE_MARKS) and not _a_dash(word.content, b, usual, ys):
            continue
        if not (xs[0] <= cx <= xs[-1] and ys[0] <= cy <= ys[-1]):
            continue
        c = max(i for i in range(len(xs) - 1) if xs[i] <= cx)
        r = max(i for i in range(len(ys) - 1) if ys[i] <= cy)
        found.setdefault((r, c), []).append(word)
    return found


# A column's rule read into a word between two cells' texts: "7___|Телефон.связь".
_MARK_RUN = re.compile(r"\|+_*|_{2,}\|*")


def _split_at_rule(word: Block, xs: list[int]) -> list[Block]:
    """The word as the two words it is where OCR read it across a column's rule, the rule
    read as marks between them ("7___|Телефон.связь": "7" and "Телефон.связь", each with
    its side of the box); the word itself elsewhere."""
    b, text = word.bbox, word.content.strip()
    if b is None:
        return [word]
    inner = [x for x in xs[1:-1] if b.x0 + 4 < x < b.x1 - 4]
    marks = [m for m in _MARK_RUN.finditer(text) if m.start() > 0 and m.end() < len(text)]
    if len(inner) != 1 or len(marks) != 1:
        return [word]
    (at,), (mark,) = inner, marks
    left, right = text[: mark.start()], text[mark.end() :]
    if not left.strip(RULE_MARKS) or not right.strip(RULE_MARKS):
        return [word]
    return [
        word.model_copy(update={"content": left, "bbox": BBox(x0=b.x0, y0=b.y0, x1=at, y1=b.y1)}),
        word.model_copy(update={"content": right, "bbox": BBox(x0=at, y0=b.y0, x1=b.x1, y1=b.y1)}),
    ]


def _unruled(word: str) -> str:
    """A word without the cell's rule where OCR read it as part of the word ("453|" and
    "0]" beside a rule); brackets that pair up are the word's own."""
    word = word.strip().strip("|")
    for opening, closing in ("[]", "{}"):
        if word.endswith(closing) and opening not in word:
            word = word[:-1]
        if word.startswith(opening) and closing not in word:
            word = word[1:]
    return word.strip("|")


def _reading_order(words: list[Block]) -> list[Block]:
    """A cell's words line by line (the engine's lines, which follow a skewed scan's slope),
    each line left to right."""
    return sorted(words, key=lambda w: (w.metadata.get("line", 0), w.bbox.x0))  # type: ignore[union-attr]
