"""Writes documents as Markdown, plain text, JSON, JSON Lines, a searchable PDF
(`searchable`) or an HTML review page (`review`): a page at a time, in page order, so a
run writes its output while it goes and never holds a whole document. A file appears
whole or not at all (a temporary file beside it, renamed when the document is done)."""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from ocrkit.outputs.results import Document, PageResult

Format = Literal["md", "txt", "json", "jsonl", "pdf", "html"]
TEXT_FORMATS = ("md", "txt", "json", "jsonl")


class DocumentInfo(Protocol):
    """What a writer needs to know of a document before its pages (a `Document` or an
    `ocrkit.pdf.Source`)."""

    @property
    def path(self) -> Path: ...
    @property
    def sha256(self) -> str: ...
    @property
    def page_count(self) -> int: ...


class PageWriter:
    """One document in one format: `page()` for each page in order, then `close()`."""

    def __init__(self, doc: DocumentInfo, out: BinaryIO) -> None:
        self.doc, self.out = doc, out
        self.pages = 0

    def page(self, page: PageResult) -> None:
        self._page(page)
        self.pages += 1

    def _page(self, page: PageResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Writes what follows the last page."""

    def _write(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))


class _Markdown(PageWriter):
    def _page(self, page: PageResult) -> None:
        note = {"text-layer": " (PDF text layer)", "failed": " (FAILED)"}.get(page.source, "")
        gap = "\n" if self.pages else ""
        self._write(f"{gap}<!-- page {page.page}{note} -->\n\n{page.markdown}\n")


class _Text(PageWriter):
    def _page(self, page: PageResult) -> None:
        gap = "\n\f" if self.pages else ""  # a form feed between pages
        self._write(f"{gap}{page.text.strip()}\n")


class _Json(PageWriter):
    """The document as one JSON object, byte for byte what `json.dumps(..., indent=2)` of
    the whole would give, its pages written as they come."""

    def __init__(self, doc: DocumentInfo, out: BinaryIO) -> None:
        super().__init__(doc, out)
        head = {"document": str(doc.path), "sha256": doc.sha256, "page_count": doc.page_count}
        opened = json.dumps({**head, "pages": []}, ensure_ascii=False, indent=2)
        self._write(opened[: opened.rindex("]")])  # up to and with "pages": [

    def _page(self, page: PageResult) -> None:
        body = json.dumps(page.model_dump(mode="json"), ensure_ascii=False, indent=2)
        self._write(("," if self.pages else "") + "\n    " + body.replace("\n", "\n    "))

    def close(self) -> None:
        self._write("\n  ]\n}\n" if self.pages else "]\n}\n")


class _JsonLines(PageWriter):
    def _page(self, page: PageResult) -> None:
        line = {"document": str(self.doc.path), **page.model_dump(mode="json")}
        self._write(json.dumps(line, ensure_ascii=False) + "\n")


def writer(doc: DocumentInfo, fmt: Format, out: BinaryIO) -> PageWriter:
    """The writer of `fmt` for `doc`, writing to `out`."""
    if fmt == "pdf":
        from ocrkit.outputs.searchable import SearchablePdf

        return SearchablePdf(doc, out)
    if fmt == "html":
        from ocrkit.outputs.review import ReviewPage

        return ReviewPage(doc, out)
    return {"md": _Markdown, "txt": _Text, "json": _Json, "jsonl": _JsonLines}[fmt](doc, out)


class OutputFile:
    """`doc` as `fmt` to `target` (None: stdout), a page at a time: `add()` each page in
    order, then `commit()`; `discard()` leaves the target as it was. A file target is a
    temporary file beside it until commit renames it over the target, with the permissions
    a plain new file would have (mkstemp makes it owner-only)."""

    def __init__(self, doc: DocumentInfo, fmt: Format, target: Path | None) -> None:
        self.target, self._tmp = target, None
        if target is None:
            out: BinaryIO = sys.stdout.buffer
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            self._tmp = Path(tmp)
            out = os.fdopen(fd, "wb")
        self._out = out
        try:
            self._writer = writer(doc, fmt, out)
        except BaseException:
            self.discard()
            raise

    def add(self, page: PageResult) -> None:
        self._writer.page(page)

    def commit(self) -> None:
        try:
            self._writer.close()
            self._out.flush()
        except BaseException:
            self.discard()
            raise
        if self._tmp is None:
            return
        self._out.close()
        os.chmod(self._tmp, 0o666 & ~_umask())
        os.replace(self._tmp, self.target)  # type: ignore[arg-type]

    def discard(self) -> None:
        if self._tmp is not None:
            self._out.close()
            self._tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(doc: Document, fmt: Format, target: Path | None) -> None:
    """`doc` as `fmt` to `target` (None: stdout), atomically."""
    out = OutputFile(doc, fmt, target)
    try:
        for page in doc.pages:
            out.add(page)
    except BaseException:
        out.discard()
        raise
    out.commit()


def render(doc: Document, fmt: Format) -> str | bytes:
    """`doc` as `fmt` in memory: text, or bytes for the PDF and the review page."""
    buf = io.BytesIO()
    w = writer(doc, fmt, buf)
    for page in doc.pages:
        w.page(page)
    w.close()
    return buf.getvalue().decode("utf-8") if fmt in TEXT_FORMATS else buf.getvalue()


def default_path(source: Path, fmt: Format) -> Path:
    """`report.pdf` -> `report_OCR.md` beside it (the old client's `<name>_OCR.md`)."""
    return source.with_name(f"{source.stem}_OCR.{fmt}")
