"""Writes documents as Markdown, plain text, JSON or JSON Lines, atomically."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Literal

from ocrkit.results import Document

Format = Literal["md", "txt", "json", "jsonl"]


def render(doc: Document, fmt: Format) -> str:
    if fmt == "md":
        parts = []
        for p in doc.pages:
            note = {"text-layer": " (PDF text layer)", "failed": " (FAILED)"}.get(p.source, "")
            parts.append(f"<!-- page {p.page}{note} -->\n\n{p.text.strip()}\n")
        return "\n".join(parts)
    if fmt == "txt":
        return "\n\f".join(p.text.strip() + "\n" for p in doc.pages)  # form feed between pages
    if fmt == "json":
        return json.dumps(_doc_json(doc), ensure_ascii=False, indent=2) + "\n"
    return "".join(
        json.dumps({"document": str(doc.path), **p.model_dump()}, ensure_ascii=False) + "\n"
        for p in doc.pages
    )


def _doc_json(doc: Document) -> dict:
    return {
        "document": str(doc.path),
        "sha256": doc.sha256,
        "page_count": doc.page_count,
        "pages": [p.model_dump() for p in doc.pages],
    }


def default_path(source: Path, fmt: Format) -> Path:
    """`report.pdf` -> `report_OCR.md` beside it (the old client's `<name>_OCR.md`)."""
    return source.with_name(f"{source.stem}_OCR.{fmt}")


def write(text: str, target: Path | None) -> None:
    """To `target` atomically (a temporary file renamed over it), or to stdout for None."""
    if target is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
