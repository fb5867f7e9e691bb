"""Finished pages saved as they finish, so a killed run resumes where it stopped.

One folder per (document content, result-changing settings); one small JSON file per page,
written to a temporary file of its own and renamed, so a `kill -9` leaves either the whole
page or nothing, and two writers of the same page never meet half-way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from ocrkit.outputs.results import PageResult

log = logging.getLogger("ocrkit")


def settings_key(settings: dict[str, Any]) -> str:
    blob = json.dumps(settings, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class ResumeStore:
    """`enabled=False` (--no-resume) redoes every page but still saves them, so that a later
    run can resume from this one."""

    def __init__(self, root: Path, key: str, *, enabled: bool = True) -> None:
        self.root, self.key, self.enabled = root, key, enabled
        self._warned = False

    def folder(self, sha256: str) -> Path:
        return self.root / f"{sha256[:32]}-{self.key}"

    def saved_pages(self, sha256: str) -> set[int]:
        """Numbers of the pages an earlier run saved (by file name: nothing is read)."""
        if not self.enabled:
            return set()
        numbers = set()
        for path in self.folder(sha256).glob("page-*.json"):
            digits = path.name[len("page-") : -len(".json")]
            if digits.isdigit():
                numbers.add(int(digits))
        return numbers

    def load_page(self, sha256: str, number: int) -> PageResult | None:
        """Page `number` as an earlier run finished it; None when it must be done again
        (not saved, unreadable, from another version, a fallback or a failure)."""
        if not self.enabled:
            return None
        path = self.folder(sha256) / f"page-{number:06d}.json"
        try:
            page = PageResult.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return page if page.page == number and _finished(page) else None

    def load(self, sha256: str) -> dict[int, PageResult]:
        """Every page an earlier run finished, by number."""
        pages = (self.load_page(sha256, n) for n in sorted(self.saved_pages(sha256)))
        return {p.page: p for p in pages if p is not None}

    def save(self, sha256: str, page: PageResult) -> None:
        """Keeps a finished page; a cache that cannot be written costs resuming, not the run."""
        if not _finished(page):
            return  # a fallback or a failure is tried again next time
        folder = self.folder(sha256)
        target = folder / f"page-{page.page:06d}.json"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(page.model_dump_json())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            if not self._warned:
                log.warning("cannot save finished pages in %s (%s): no resume", folder, exc)
                self._warned = True


def _finished(page: PageResult) -> bool:
    """OCR'd, or read from the text layer by its route; not a fallback after a failure."""
    return page.source == "ocr" or (page.source == "text-layer" and page.error is None)
