"""Reading order of a page's regions for detectors that give none (the bundled CDLA model):
recursive XY-cut, the classic for printed pages. A group of regions is cut where a vertical
gutter runs through all of it (columns, left to right), else where a horizontal gap does
(bands, top to bottom; bands sharing a gutter stay together). A full-width title or table
above or below two columns splits off as a band; the columns then read one after the
other, never interleaved."""

from __future__ import annotations

from collections.abc import Sequence

from ocrkit.layout.regions import Region

# Regions overlap a little at their edges (boxes are loose): this much overlap still cuts.
SLACK = 0.2


def reading_order(regions: Sequence[Region]) -> list[Region]:
    """The regions in reading order: the page's body by XY-cut, headers before it and
    footers and page numbers after it."""
    regions = _outer_furniture(regions)
    top = [r for r in regions if r.role == "header"]
    bottom = [r for r in regions if r.role in ("footer", "page_number")]
    body = [r for r in regions if r.role not in ("header", "footer", "page_number")]
    return [*_by_y(top), *_xy_cut(body), *_by_y(bottom)]


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


def _xy_cut(regions: list[Region]) -> list[Region]:
    if len(regions) <= 1:
        return list(regions)
    columns = _split(regions, 0)
    if len(columns) > 1:
        return [r for column in columns for r in _xy_cut(column)]
    bands = _columned(_split(regions, 1))
    if len(bands) > 1:
        return [r for band in bands for r in _xy_cut(band)]
    return _by_y(regions)  # overlapping boxes: top to bottom


def _columned(bands: list[list[Region]]) -> list[list[Region]]:
    """Bands one under another joined while a gutter runs through both: paragraphs that
    happen to end at the same height in two columns must not cut the columns into rows."""
    joined = [bands[0]]
    for band in bands[1:]:
        if len(_split(joined[-1] + band, 0)) > 1:
            joined[-1] = joined[-1] + band
        else:
            joined.append(band)
    return joined


def _split(regions: list[Region], axis: int) -> list[list[Region]]:
    """The regions in groups separated by gaps along `axis` (1: y, 0: x)."""
    ordered = sorted(regions, key=lambda r: r.box[axis])
    groups: list[list[Region]] = [[ordered[0]]]
    last = ordered[0]  # the region reaching furthest along the axis so far
    for region in ordered[1:]:
        overlap = _end(last, axis) - region.box[axis]
        if overlap <= SLACK * min(_size(region, axis), _size(last, axis)):
            groups.append([region])
        else:
            groups[-1].append(region)
        if _end(region, axis) > _end(last, axis):
            last = region
    return groups


def _end(region: Region, axis: int) -> float:
    return region.box[axis + 2]


def _size(region: Region, axis: int) -> float:
    return region.box[axis + 2] - region.box[axis]
