"""Writes documents as Markdown, plain text, JSON, JSON Lines, a searchable PDF
(`searchable`) or an HTML review page (`review`), atomically."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from ocrkit.outputs.results import Document

Format = Literal["md", "txt", "json", "jsonl", "pdf", "html"]
TEXT_FORMATS = ("md", "txt", "json", "jsonl")


def save(doc: Document, fmt: Format, target: Path | None) -> None:
    """`doc` as `fmt` to `target` (None: stdout), atomically. The PDF and the review page
    are written as they are made, a page at a time, not built in memory first."""
    if fmt in TEXT_FORMATS:
        write(_text(doc, fmt), target)
        return
    if target is None:
        _write_binary(doc, fmt, sys.stdout.buffer)
        sys.stdout.flush()
        return
    with _atomic(target) as f:
        _write_binary(doc, fmt, f)


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[BinaryIO]:
    """A temporary file beside `target`, renamed over it when the block succeeds, with the
    permissions a plain new file would have (mkstemp makes it owner-only)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_binary(doc: Document, fmt: Format, out: BinaryIO) -> None:
    if fmt == "pdf":
        from ocrkit.outputs.searchable import write_pdf

        write_pdf(doc, out)
        return
    from ocrkit.outputs.review import write_html

    text = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    write_html(doc, text)
    text.flush()
    text.detach()


def render(doc: Document, fmt: Format) -> str | bytes:
    """`doc` as `fmt` in memory: text, or bytes for the PDF and the review page."""
    if fmt in TEXT_FORMATS:
        return _text(doc, fmt)
    buf = io.BytesIO()
    _write_binary(doc, fmt, buf)
    return buf.getvalue()


def _text(doc: Document, fmt: Format) -> str:
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
    with _atomic(target) as f:
        f.write(text.encode("utf-8"))
