"""Tables as the models write them (HTML, OTSL) turned into Markdown pipe tables.

A table with merged cells has no Markdown form: it stays (or becomes) an HTML table, which
Markdown renders as it is, so no cell is lost or misplaced.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

_HTML_TABLE = re.compile(r"<table\b.*?</table>", re.S | re.I)
_BLANK_LINES = re.compile(r"\n{3,}")
_OTSL_TAG = re.compile(r"<(fcel|ecel|lcel|ucel|xcel|nl)>")


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1


Grid = list[list[Cell]]


def to_markdown(rows: Grid) -> str:
    """A pipe table (first row as header) when no cell spans; else an HTML table."""
    if not rows:
        return ""
    if any(c.rowspan > 1 or c.colspan > 1 for row in rows for c in row):
        return to_html(rows)
    width = max(len(r) for r in rows)

    def line(cells: list[str]) -> str:
        padded = cells + [""] * (width - len(cells))
        return "| " + " | ".join(padded) + " |"

    texts = [[_cell_text(c.text) for c in row] for row in rows]
    return "\n".join([line(texts[0]), line(["---"] * width), *(line(r) for r in texts[1:])])


def to_html(rows: Grid) -> str:
    out = ["<table>"]
    for row in rows:
        out.append("<tr>")
        for c in row:
            span = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (
                f' colspan="{c.colspan}"' if c.colspan > 1 else ""
            )
            out.append(f"<td{span}>{html.escape(c.text.strip())}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def html_tables_to_markdown(text: str) -> str:
    """Every `<table>…</table>` in `text` as a Markdown table where it has one."""
    out = _HTML_TABLE.sub(lambda m: f"\n\n{to_markdown(parse_html_table(m.group(0)))}\n\n", text)
    return _BLANK_LINES.sub("\n\n", out).strip()


def parse_html_table(table: str) -> Grid:
    parser = _TableParser()
    parser.feed(table)
    parser.close()
    return [row for row in parser.rows if row]


def otsl_to_grid(text: str) -> Grid:
    """OTSL (`<fcel>` a cell, `<ecel>` an empty one, `<lcel>` merged with the left,
    `<ucel>` with the one above, `<xcel>` both, `<nl>` a new row) as cells with spans."""
    tags = list(_OTSL_TAG.finditer(text))
    rows: list[list[tuple[str, str]]] = [[]]
    for i, m in enumerate(tags):
        content = text[m.end() : tags[i + 1].start() if i + 1 < len(tags) else len(text)]
        if m.group(1) == "nl":
            rows.append([])
        else:
            rows[-1].append((m.group(1), content.strip()))
    rows = [r for r in rows if r]
    grid: Grid = []
    for r, row in enumerate(rows):
        out: list[Cell] = []
        for c, (tag, content) in enumerate(row):
            if tag not in ("fcel", "ecel"):
                continue  # covered by a span that starts up or left of it
            colspan = 1
            while c + colspan < len(row) and row[c + colspan][0] in ("lcel", "xcel"):
                colspan += 1
            rowspan = 1
            while (
                r + rowspan < len(rows)
                and c < len(rows[r + rowspan])
                and rows[r + rowspan][c][0] in ("ucel", "xcel")
            ):
                rowspan += 1
            out.append(Cell(content, rowspan, colspan))
        grid.append(out)
    return grid


def otsl_to_markdown(text: str) -> str:
    return to_markdown(otsl_to_grid(text))


def is_otsl(text: str) -> bool:
    return bool(_OTSL_TAG.search(text))


def _cell_text(text: str) -> str:
    # A pipe or a line break would end the cell in Markdown.
    return " ".join(text.split()).replace("|", "\\|")


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: Grid = []
        self._cell: Cell | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            if not self.rows:
                self.rows.append([])
            spans = {k: v for k, v in attrs}
            self._cell = Cell("", _int(spans.get("rowspan")), _int(spans.get("colspan")))
            self._text = []
        elif tag == "br" and self._cell is not None:
            self._text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._cell.text = "".join(self._text).strip()
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)


def _int(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def grids_in_text(text: str) -> list[Grid]:
    """Every table in a page's text, in order: HTML tables (merged cells kept) and pipe
    tables."""
    return [grid for _, _, grid in tables_in_text(text)]


def tables_in_text(text: str) -> list[tuple[int, int, Grid]]:
    """Every table in `text` with where it starts and ends there, in order."""
    found: list[tuple[int, int, Grid]] = [
        (m.start(), m.end(), parse_html_table(m.group(0))) for m in _HTML_TABLE.finditer(text)
    ]
    rows: Grid = []
    start = 0
    offset = 0
    for line in [*text.splitlines(keepends=True), ""]:
        if _PIPE_ROW.match(line.rstrip("\n")):
            if not rows:
                start = offset
            if not _PIPE_SEPARATOR.match(line.rstrip("\n")):
                cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
                rows.append([Cell(c.strip().replace("\\|", "|")) for c in cells])
        elif rows:
            found.append((start, offset, rows))
            rows = []
        offset += len(line)
    return [t for t in sorted(found, key=lambda f: f[0]) if t[2]]


def cells_of(grid: Grid) -> list[dict[str, object]]:
    """A grid's cells with their row and column, merged cells placed as HTML places them."""
    taken: set[tuple[int, int]] = set()
    cells: list[dict[str, object]] = []
    for r, row in enumerate(grid):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            cells.append(
                {
                    "row": r,
                    "col": c,
                    "rowspan": cell.rowspan,
                    "colspan": cell.colspan,
                    "text": " ".join(cell.text.split()),
                }
            )
            c += cell.colspan
    return cells
