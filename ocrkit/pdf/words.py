"""A page's structure from an OCR engine's word boxes (Tesseract's): the words regrouped into
the page's visual rows, whatever blocks the engine cut the page into, each row into runs
apart by wide gaps, and the rows whose runs line up in columns made into tables by the same
finder as text-layer pages (`tables.aligned_tables`). Ruled and unruled tables alike: their
columns line up either way.
"""

from __future__ import annotations

import itertools
import statistics

from ocrkit.model.postprocess import Block
from ocrkit.pdf.structure import table_blocks
from ocrkit.pdf.tables import Table, aligned_tables
from ocrkit.pdf.text_layer import WIDE_GAP_EM, Box, Line

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


def _row(words: list[Block], height: float) -> Line:
    runs: list[list[Block]] = [[words[0]]]
    for prev, word in itertools.pairwise(words):
        if word.bbox.x0 - prev.bbox.x1 > WIDE_GAP_EM * height:  # type: ignore[union-attr]
            runs.append([word])
        else:
            runs[-1].append(word)
    box = Box(
        min(w.bbox.x0 for w in words),  # type: ignore[union-attr]
        min(w.bbox.y0 for w in words),  # type: ignore[union-attr]
        max(w.bbox.x1 for w in words),  # type: ignore[union-attr]
        max(w.bbox.y1 for w in words),  # type: ignore[union-attr]
    )
    text = " ".join(w.content for w in words)
    spans = tuple(
        (" ".join(w.content for w in run), run[0].bbox.x0, run[-1].bbox.x1)  # type: ignore[union-attr]
        for run in runs
    )
    return Line(text, box, False, 0, spans if len(spans) > 1 else ())


def with_tables(text: str, words: list[Block]) -> tuple[str, list[Block], list[Table]]:
    """The engine's text with the tables its words hold put in as Markdown tables, its
    blocks with the table blocks added; unchanged when there is no table. Outside the
    tables the engine's own paragraphs and lines stay as it read them; a table stands where
    the engine met its first word."""
    tables = aligned_tables(rows(words))
    if not tables:
        return text, words, []
    markdown = [t.markdown() for t in tables]
    paragraphs: list[list[list[str]]] = []
    placed: set[int] = set()
    last: tuple[object, object] | None = None
    for word in words:
        t = _table_of(word, tables)
        if t is not None:
            if t not in placed:
                placed.add(t)
                paragraphs.append([[markdown[t]]])
                last = None
            continue
        par, line = word.metadata.get("par"), word.metadata.get("line")
        if last is None or par != last[0]:
            paragraphs.append([[]])
        elif line != last[1]:
            paragraphs[-1].append([])
        paragraphs[-1][-1].append(word.content)
        last = (par, line)
    rebuilt = "\n\n".join("\n".join(" ".join(ws) for ws in lines) for lines in paragraphs)
    return rebuilt, [*words, *table_blocks(tables, first_id=len(words))], tables


def _table_of(word: Block, tables: list[Table]) -> int | None:
    b = word.bbox
    if b is None:
        return None
    cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
    for i, t in enumerate(tables):
        if t.box.left <= cx <= t.box.right and t.box.top <= cy <= t.box.bottom:
            return i
    return None
