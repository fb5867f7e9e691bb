"""Reading order by recursive XY-cut, the classic for printed pages: for the regions of
detectors that give no order (the bundled CDLA model), and for a text layer's lines where
the PDF's own order is not its columns' order.

A group of boxes is cut where a vertical gutter runs through all of it (columns, left to
right), else where a horizontal gap does (bands, top to bottom; bands sharing a gutter stay
together). A full-width title or table above or below two columns splits off as a band; the
columns then read one after the other, never interleaved."""

from __future__ import annotations

from collections.abc import Sequence

from ocrkit.layout.regions import FURNITURE, Region

Box = tuple[float, float, float, float]  # x0, y0, x1, y1, top left origin
# Boxes overlap a little at their edges (they are loose): this much overlap still cuts.
SLACK = 0.2


def reading_order(regions: Sequence[Region]) -> list[Region]:
    """The regions in reading order: the page's body by XY-cut, headers before it and
    footers and page numbers after it."""
    regions = _outer_furniture(regions)
    top = [r for r in regions if r.role == "header"]
    bottom = [r for r in regions if r.role in ("footer", "page_number")]
    body = [r for r in regions if r.role not in FURNITURE]
    order, _ = xy_columns([r.box for r in body])
    return [*_by_y(top), *(body[i] for i in order), *_by_y(bottom)]


def xy_columns(boxes: Sequence[Box], *, min_column: int = 1) -> tuple[list[int], list[int]]:
    """The boxes' indices in reading order, and for each (in that order) the column it
    stands in (a number; consecutive boxes of one column share it). A column needs
    `min_column` boxes: for a text layer's lines 2, so that a right-aligned date above a
    salutation is not read as two columns."""
    cutter = _Cutter(boxes, min_column)
    order = cutter.cut(list(range(len(boxes))), 0)
    return order, [cutter.column[i] for i in order]


def _outer_furniture(regions: Sequence[Region]) -> list[Region]:
    """Running headers are the page's topmost band and footers its lowest: a "header" under
    another header band is a title the small model mislabelled, a "footer" above another
    footer band is text (read, not dropped)."""
    headers = [r for r in regions if r.role == "header"]
    footers = [r for r in regions if r.role in ("footer", "page_number")]
    first_end = min((r.box[3] for r in headers), default=0.0)
    last_start = max((r.box[1] for r in footers), default=0.0)
    out = []
    for r in regions:
        if r.role == "header" and r.box[1] >= first_end:
            r = r.model_copy(update={"role": "title"})
        elif r.role in ("footer", "page_number") and r.box[3] <= last_start:
            r = r.model_copy(update={"role": "text"})
        out.append(r)
    return out


def _by_y(regions: list[Region]) -> list[Region]:
    return sorted(regions, key=lambda r: (r.box[1], r.box[0]))


class _Cutter:
    def __init__(self, boxes: Sequence[Box], min_column: int) -> None:
        self.boxes, self.min_column = boxes, min_column
        self.column: dict[int, int] = {}
        self._columns = 0

    def cut(self, group: list[int], column: int) -> list[int]:
        if len(group) <= 1:
            self.column.update((i, column) for i in group)
            return group
        split = self.columns(group)
        if len(split) > 1:
            out = []
            for part in split:
                self._columns += 1
                out += self.cut(part, self._columns)
            return out
        bands = self.joined(_split(group, self.boxes, 1))
        if len(bands) > 1:
            return [i for band in bands for i in self.cut(band, column)]
        self.column.update((i, column) for i in group)
        # Overlapping boxes: top down.
        return sorted(group, key=lambda i: (self.boxes[i][1], self.boxes[i][0]))

    def columns(self, group: list[int]) -> list[list[int]]:
        split = _split(group, self.boxes, 0)
        return split if min(map(len, split)) >= self.min_column else [group]

    def joined(self, bands: list[list[int]]) -> list[list[int]]:
        """Bands one under another joined while a gutter runs through both: paragraphs that
        end at the same height in two columns must not cut the columns into rows."""
        out = [bands[0]]
        for band in bands[1:]:
            if len(self.columns(out[-1] + band)) > 1:
                out[-1] = out[-1] + band
            else:
                out.append(band)
        return out


def _split(group: list[int], boxes: Sequence[Box], axis: int) -> list[list[int]]:
    """The group in parts separated by gaps along `axis` (0: x, 1: y)."""
    ordered = sorted(group, key=lambda i: boxes[i][axis])
    parts: list[list[int]] = [[ordered[0]]]
    last = ordered[0]  # the box reaching furthest along the axis so far
    for i in ordered[1:]:
        overlap = boxes[last][axis + 2] - boxes[i][axis]
        if overlap <= SLACK * min(_size(boxes[i], axis), _size(boxes[last], axis)):
            parts.append([i])
        else:
            parts[-1].append(i)
        if boxes[i][axis + 2] > boxes[last][axis + 2]:
            last = i
    return parts


def _size(box: Box, axis: int) -> float:
    return box[axis + 2] - box[axis]
