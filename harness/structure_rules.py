"""Per-page pass/fail rules on an OCR output, as a reader of the output judges it, in four
kinds (in the style of public document-OCR benchmarks):

- `Present`: the text appears within one paragraph (whitespace and Markdown emphasis aside;
  exact otherwise, so numbers must be as printed, and a sentence broken into two paragraphs
  is not present);
- `Absent`: running headers, footers and page numbers do not appear;
- `Order`: one passage comes before another, both present;
- `TableCell`: a table (GitHub Markdown or HTML, rowspan/colspan honoured) has a cell with
  exactly this text, with the given neighbours above, below, left and right, its column's
  heading (the table's first row) and its row's heading (the row's first cell).

Nothing here passes on an empty output except `Absent`, which an empty output honours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_SPACE = re.compile(r"\s+")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_EMPHASIS = re.compile(r"(\*\*|__|`)")


def normalise(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    text = _EMPHASIS.sub("", text)
    text = re.sub(r"(?m)^\s*#+\s*", "", text)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Present:
    page: int
    text: str
    kind: str = "present"

    def check(self, output: str) -> bool:
        needle = normalise(self.text)
        return bool(needle) and any(needle in normalise(p) for p in _PARAGRAPHS.split(output))


@dataclass(frozen=True)
class Absent:
    page: int
    text: str
    kind: str = "absent"

    def check(self, output: str) -> bool:
        return normalise(self.text) not in normalise(output)


@dataclass(frozen=True)
class Order:
    page: int
    before: str
    after: str
    kind: str = "order"

    def check(self, output: str) -> bool:
        text = normalise(output)
        a, b = normalise(self.before), normalise(self.after)
        if not a or not b:
            return False
        i, j = text.find(a), text.find(b)
        return i >= 0 and j >= 0 and i + len(a) <= j


@dataclass(frozen=True)
class TableCell:
    page: int
    cell: str
    up: str | None = None
    down: str | None = None
    left: str | None = None
    right: str | None = None
    top_heading: str | None = None
    left_heading: str | None = None
    kind: str = "table"

    def check(self, output: str) -> bool:
        want = normalise(self.cell)
        for grid in tables(output):
            for r, row in enumerate(grid):
                for c, text in enumerate(row):
                    if text == want and self._around(grid, r, c):
                        return True
        return False

    def _around(self, grid: list[list[str]], r: int, c: int) -> bool:
        def at(rr: int, cc: int) -> str | None:
            if 0 <= rr < len(grid) and 0 <= cc < len(grid[rr]):
                return grid[rr][cc]
            return None

        checks = [
            (self.up, at(r - 1, c)),
            (self.down, at(r + 1, c)),
            (self.left, at(r, c - 1)),
            (self.right, at(r, c + 1)),
            (self.top_heading, at(0, c)),
            (self.left_heading, at(r, 0)),
        ]
        return all(want is None or got == normalise(want) for want, got in checks)


Rule = Present | Absent | Order | TableCell


def tables(output: str) -> list[list[list[str]]]:
    """Every table in `output` as a grid of normalised cell texts: GitHub Markdown tables
    (the separator row dropped) and HTML tables (a merged cell fills every slot it spans)."""
    grids = _markdown_tables(output)
    if "<table" in output.lower():
        parser = _HtmlTables()
        parser.feed(output)
        grids += parser.grids
    return grids


_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _markdown_tables(output: str) -> list[list[list[str]]]:
    grids: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*output.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|") and stripped.count("|") >= 2:
            if not _SEPARATOR.match(stripped):
                cells = stripped.strip("|").split("|")
                current.append([normalise(c) for c in cells])
            continue
        if current:
            grids.append(current)
            current = []
    return grids


class _HtmlTables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.grids: list[list[list[str]]] = []
        self._stack: list[dict[tuple[int, int], str]] = []
        self._row = -1
        self._cell: list[str] | None = None
        self._span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append({})
            self._row = -1
        elif tag == "tr" and self._stack:
            self._row += 1
        elif tag in ("td", "th") and self._stack:
            a = dict(attrs)
            self._span = (int(a.get("rowspan") or 1), int(a.get("colspan") or 1))
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._stack:
            slots = self._stack[-1]
            col = 0
            while (self._row, col) in slots:
                col += 1
            text = normalise("".join(self._cell))
            for dr in range(self._span[0]):
                for dc in range(self._span[1]):
                    slots[(self._row + dr, col + dc)] = text
            self._cell = None
        elif tag == "table" and self._stack:
            slots = self._stack.pop()
            if slots:
                rows = max(r for r, _ in slots) + 1
                grid = [
                    [
                        slots[(r, c)]
                        for c in range(max(cc for rr, cc in slots if rr == r) + 1)
                        if (r, c) in slots
                    ]
                    for r in range(rows)
                ]
                self.grids.append(grid)


def score(rules: list[Rule], pages: dict[int, str]) -> dict[str, tuple[int, int]]:
    """(passed, total) per rule kind, each rule checked against its page's output."""
    out: dict[str, tuple[int, int]] = {}
    for rule in rules:
        passed, total = out.get(rule.kind, (0, 0))
        out[rule.kind] = (passed + rule.check(pages.get(rule.page, "")), total + 1)
    return out
