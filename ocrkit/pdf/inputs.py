"""Turns the paths a user gave into documents to read, or a clear error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ocrkit.errors import InputError

__all__ = ["IMAGE_SUFFIXES", "PDF_SUFFIXES", "Input", "InputError", "collect", "parse_pages"]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
PDF_SUFFIXES = {".pdf"}


@dataclass(frozen=True)
class Input:
    path: Path
    kind: str  # "pdf" | "image"


def collect(paths: list[Path]) -> list[Input]:
    """PDFs and page images, folders expanded (sorted, not recursive), duplicates dropped."""
    if not paths:
        raise InputError("no input given")
    found: dict[Path, Input] = {}
    for path in paths:
        if not path.exists():
            raise InputError(f"no such file or folder: {path}")
        if path.is_dir():
            inside = [_classify(p) for p in sorted(path.iterdir()) if p.is_file()]
            docs = [i for i in inside if i is not None]
            if not docs:
                raise InputError(f"folder {path} has no PDFs or page images")
            for doc in docs:
                found.setdefault(doc.path.resolve(), doc)
            continue
        doc = _classify(path)
        if doc is None:
            supported = ", ".join(sorted(PDF_SUFFIXES | IMAGE_SUFFIXES))
            raise InputError(f"{path}: not a PDF or page image (supported: {supported})")
        found.setdefault(path.resolve(), doc)
    return list(found.values())


def _classify(path: Path) -> Input | None:
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return Input(path, "pdf")
    if suffix in IMAGE_SUFFIXES:
        return Input(path, "image")
    return None


def parse_pages(spec: str | None, count: int) -> list[int]:
    """'1-3,7' -> [1, 2, 3, 7] (1-based, in order, no duplicates); None -> every page."""
    if spec is None:
        return list(range(1, count + 1))
    pages: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        try:
            first = int(lo)
            last = int(hi) if sep else first
        except ValueError:
            raise InputError(f"--pages: {part!r} is not a page or a range like 2-5") from None
        if first < 1 or last < first:
            raise InputError(f"--pages: {part!r} is not a valid range")
        if last > count:
            raise InputError(f"--pages: page {last} is out of range (the document has {count})")
        pages.extend(p for p in range(first, last + 1) if p not in pages)
    return pages
