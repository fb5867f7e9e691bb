"""Finished pages saved as they finish, so a killed run resumes where it stopped.

One folder per (document content, result-changing settings); one small JSON file per page,
written to a temporary name and renamed, so a `kill -9` leaves either the whole page or
nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ocrkit.document import PageResult


def settings_key(settings: dict[str, Any]) -> str:
    blob = json.dumps(settings, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class ResumeStore:
    def __init__(self, root: Path, key: str, *, enabled: bool = True) -> None:
        self.root, self.key, self.enabled = root, key, enabled

    def folder(self, sha256: str) -> Path:
        return self.root / f"{sha256[:32]}-{self.key}"

    def load(self, sha256: str) -> dict[int, PageResult]:
        """Pages OCR'd by an earlier run (fallbacks and failures are not kept: redone)."""
        if not self.enabled:
            return {}
        done = {}
        for path in self.folder(sha256).glob("page-*.json"):
            try:
                page = PageResult.model_validate_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # unreadable: the page is simply done again
            done[page.page] = page
        return done

    def save(self, sha256: str, page: PageResult) -> None:
        if page.source != "ocr":
            return  # a fallback or a failure is tried again next time
        folder = self.folder(sha256)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"page-{page.page:06d}.json"
        tmp = folder / f".{target.name}.{os.getpid()}.tmp"
        tmp.write_text(page.model_dump_json(), encoding="utf-8")
        os.replace(tmp, target)
