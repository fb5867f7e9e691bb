"""A page's structure from an OCR engine's word boxes (Tesseract's): the words regrouped into
the page's visual rows, whatever blocks the engine cut the page into, each row into runs
apart by wide gaps, and the rows whose runs line up in columns made into tables by the same
finder as text-layer pages (`tables.aligned_tables`). Ruled and unruled tables alike: their
columns line up either way.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from PIL import Image

from ocrkit.layout.roles import is_formula, text_roles
from ocrkit.pdf.text_layer import LETTERED, WIDE_GAP_EM, Box, Line
from ocrkit.structure import letter_sizes
from ocrkit.structure.blocks import BBox, Block
from ocrkit.structure.coded import coded_tables
from ocrkit.structure.digit_groups import spaced_digit_groups
from ocrkit.structure.ruled import ruled_tables
from ocrkit.structure.tables import Table, aligned_tables
from ocrkit.structure.text_page import in_tables, table_blocks

_JUNK = set("|[]{}_—–-")  # what a table's rules read as


def rows(words: list[Block]) -> list[Line]:
    """The words as the page's rows, top to bottom, each with its runs."""
    boxed = [w for w in words if w.bbox is not None and w.content.strip(" ") not in _JUNK]
    if not boxed:
        return []
    height = statistics.median(w.bbox.y1 - w.bbox.y0 for w in boxed)  # type: ignore[union-attr]
    boxed.sort(key=lambda w: (w.bbox.y0 + w.bbox.y1) / 2)  # type: ignore[union-attr]
    grouped: list[list[Block]] = []
    for word in boxed:
        b = word.bbox
        assert b is not None
        middle = (b.y0 + b.y1) / 2
        if grouped:
            last = grouped[-1]
            top = min(w.bbox.y0 for w in last)  # type: ignore[union-attr]
            bottom = max(w.bbox.y1 for w in last)  # type: ignore[union-attr]
            if top <= middle <= bottom:
                last.append(word)
                continue
        grouped.append([word])
    return [_row(sorted(g, key=lambda w: w.bbox.x0), height) for g in grouped]  # type: ignore[union-attr]


def union(words: list[Block]) -> BBox:
    """The box around some words (each has one)."""
    boxes = [w.bbox for w in words if w.bbox is not None]
    return BBox(
        x0=min(b.x0 for b in boxes),
        y0=min(b.y0 for b in boxes),
        x1=max(b.x1 for b in boxes),
        y1=max(b.y1 for b in boxes),
    )


def _row(words: list[Block], height: float) -> Line:
    runs: list[list[Block]] = [[words[0]]]
    for prev, word in itertools.pairwise(words):
        if word.bbox.x0 - prev.bbox.x1 > WIDE_GAP_EM * height:  # type: ignore[union-attr]
            runs.append([word])
        else:
            runs[-1].append(word)
    u = union(words)
    box = Box(u.x0, u.y0, u.x1, u.y1)
    text = " ".join(w.content for w in words)
    spans = tuple(
        (" ".join(w.content for w in run), run[0].bbox.x0, run[-1].bbox.x1)  # type: ignore[union-attr]
        for run in runs
    )
    return Line(text, box, False, 0, spans if len(spans) > 1 else ())


def with_tables(
    words: list[Block], image: Image.Image | None = None
) -> tuple[str, list[Block], list[Table]]:
    """An OCR'd page from its words: the text in the engine's paragraphs and lines with the
    tables its words hold put in as Markdown tables (each where the engine met its first
    word), and its blocks: the words, then the page in reading order (`arrange`). With the
    page's `image`, tables ruled on it are found by their rules (`ruled`), the rest by their
    words' columns. Amounts whose group spaces the engine lost get them back from the
    image's glyphs (`digit_groups`)."""
    if image is not None:
        words = spaced_digit_groups(words, image)
    ruled = ruled_tables(image, words) if image is not None else []
    rest = rows([w for w in words if not _in_any(w, ruled)])
    coded = coded_tables(rest)
    rest = [line for line in rest if not in_tables(line, coded)]
    found = sorted(ruled + coded + aligned_tables(rest), key=lambda t: t.box.top)
    tables = [_regrouped(t) for t in found]
    blocks = table_blocks(tables, first_id=len(words))
    text, ordered = arrange(words, blocks, first_id=len(words) + len(blocks))
    return text, [*words, *ordered], tables


# A number in groups of three whose first group is four to six digits long: "1234 567" is
# never printed (Russian amounts are "1 234 567" or "1234567"); Tesseract drops the narrow
# space after a leading "1" or "4" now and then.
_RUN_ON = re.compile(r"^(\(?[-−–]?)(\d{4,6})((?: \d{3})+)([.,]\d+)?(\)?)$")


def _regroup(text: str) -> str:
    m = _RUN_ON.match(text)
    if m is None:
        return text
    head, first, rest, fraction, tail = m.groups()
    cut = len(first) % 3 or 3
    groups = [first[:cut], *(first[i : i + 3] for i in range(cut, len(first), 3))]
    return f"{head}{' '.join(groups)}{rest}{fraction or ''}{tail}"


def _regrouped(table: Table) -> Table:
    """The table with its cells' run-on digit groups mended (OCR'd pages only: a text
    layer's numbers are as printed)."""
    cells = [replace(c, text=_regroup(c.text)) for c in table.cells]
    rows = [[_regroup(t) for t in row] for row in table.rows]
    return replace(table, rows=rows, cells=cells)


def arrange(words: list[Block], tables: list[Block], first_id: int) -> tuple[str, list[Block]]:
    """The page's text, and its blocks in that order: each table block where the engine met
    its first word (its words skipped), the rest as `text` or `title` paragraphs as the
    engine cut them, with their boxes (ids from `first_id`); each with `metadata.order`."""
    boxes = [Box(t.bbox.x0, t.bbox.y0, t.bbox.x1, t.bbox.y1) if t.bbox else None for t in tables]
    paragraphs: list[Paragraph | int] = []  # an int: the table of that index
    placed: set[int] = set()
    last: tuple[object, object] | None = None
    for word in words:
        t = _table_of(word, boxes)
        if t is not None:
            if t not in placed:
                placed.add(t)
                paragraphs.append(t)
                last = None
            continue
        par, line = word.metadata.get("par"), word.metadata.get("line")
        current = paragraphs[-1] if paragraphs else None
        if last is None or par != last[0] or not isinstance(current, list):
            paragraphs.append([[]])
        elif line != last[1]:
            current.append([])
        lines = paragraphs[-1]
        assert isinstance(lines, list)
        lines[-1].append(word)
        last = (par, line)
    usual = _size(words)
    ordered: list[Block] = []
    for part in _headed(_sentences_joined(rejoin(paragraphs)), usual):
        if isinstance(part, int):
            block = tables[part]
        else:
            content = "\n".join(" ".join(w.content for w in ws) for ws in part)
            title = len(part) == 1 and _size(part[0]) >= HEADING_SCALE * usual > 0
            block = Block(
                id=first_id + len(ordered),
                type="title" if title else "text",
                content=content,
                bbox=union([w for ws in part for w in ws]),
            )
        block.metadata["order"] = len(ordered)
        ordered.append(block)
    text_roles(ordered)
    return "\n\n".join(b.content for b in ordered), ordered


Paragraph = list[list[Block]]  # its lines, each a list of words
T = TypeVar("T")
HEADING_SCALE = 1.2  # a line set this much larger than the page's usual words is a heading


def _headed(paragraphs: Sequence[Paragraph | T], usual: float) -> list[Paragraph | T]:
    """The paragraphs with a heading Tesseract put at the head of the text under it (a
    first line set larger than the rest and than the page's `usual` words) on its own."""
    out: list[Paragraph | T] = []
    for par in paragraphs:
        if isinstance(par, list) and len(par) >= 2:
            below = [w for line in par[1:] for w in line]
            head, rest = _size(par[0]), _size(below)
            if len(below) >= 3 and head >= HEADING_SCALE * max(rest, usual):
                out += [[par[0]], par[1:]]
                continue
        out.append(par)
    return out


def _size(words: list[Block]) -> float:
    """The words' usual font size (`letter_sizes`: a box's height for what its letters
    reach), 0 where none tells."""
    sizes = [s for s in map(letter_sizes.size, words) if s is not None]
    return statistics.median(sizes) if sizes else 0.0


def rejoin(paragraphs: Sequence[Paragraph | T]) -> list[Paragraph | T]:
    """The engine's paragraphs with a row it cut in two put back together: Tesseract now and
    then ends a paragraph mid-line and starts another (sometimes after an unrelated one)
    with the rest of the line ("... без учёта" | "отложенных налогов."). A paragraph whose
    first word continues, a word space or two on, the last line of an earlier paragraph
    joins it there."""
    out: list[Paragraph | T] = []
    for par in paragraphs:
        if isinstance(par, list) and par and par[0]:
            head = par[0][0]
            target = next(
                (
                    p
                    for p in reversed(out)
                    if isinstance(p, list) and p and p[-1] and _continues(p[-1][-1], head)
                ),
                None,
            )
            if target is not None:
                target[-1].extend(par[0])
                target.extend(par[1:])
                continue
        out.append(par)
    return out


def _sentences_joined(paragraphs: Sequence[Paragraph | T]) -> list[Paragraph | T]:
    """The engine's paragraphs with one that goes on with the sentence the one before broke
    off joined to it: Tesseract now and then starts a paragraph at a line that the line
    above runs on into ("... прогноз стабильный. Рейтинг" | "подтверждён в марте ...")."""
    out: list[Paragraph | T] = []
    for par in paragraphs:
        before = out[-1] if out else None
        if isinstance(par, list) and isinstance(before, list) and _carries_on(before, par):
            before.extend(par)
            continue
        out.append(par)
    return out


def _carries_on(par: Paragraph, after: Paragraph) -> bool:
    """Whether `after`'s first line is the next line down from `par`'s last, at its left
    edge, opening in lower case after a line that ends without a stop; neither a formula
    (left-aligned, "где N — ..." under it) nor a lettered item ("б) ...")."""
    if not (par and par[-1] and after and after[0]):
        return False
    last, first = par[-1], after[0]
    ends, opens = last[-1].content[-1:], first[0].content[:1]
    if not opens.islower() or ends in ".!?:;" or not ends:
        return False
    last_text, first_text = (" ".join(w.content for w in line) for line in (last, first))
    if LETTERED.match(first_text) or is_formula(last_text) or is_formula(first_text):
        return False
    a, b = union(last), union(first)
    height = max(a.y1 - a.y0, b.y1 - b.y0)
    gap = b.y0 - a.y1
    return abs(b.x0 - a.x0) <= 1.5 * height and -0.3 * height <= gap <= 0.8 * height


def _continues(before: Block, word: Block) -> bool:
    """Whether `word` carries on the row `before` ends: the same row, a word space on."""
    a, b = before.bbox, word.bbox
    if a is None or b is None:
        return False
    height = max(a.y1 - a.y0, b.y1 - b.y0)
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    # A word space or a wide one (about 1 em), not a gutter between two columns.
    return overlap >= 0.5 * min(a.y1 - a.y0, b.y1 - b.y0) and 0 <= b.x0 - a.x1 <= 0.8 * height


def _in_any(word: Block, tables: list[Table]) -> bool:
    boxes: list[Box | None] = [t.box for t in tables]
    return _table_of(word, boxes) is not None


def _table_of(word: Block, tables: list[Box | None]) -> int | None:
    b = word.bbox
    if b is None:
        return None
    cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
    for i, t in enumerate(tables):
        if t is not None and t.left <= cx <= t.right and t.top <= cy <= t.bottom:
            return i
    return None
