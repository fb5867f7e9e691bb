"""The library API: `ocrkit.ocr(path)` and its async twin."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ocrkit.document import Document
from ocrkit.engines import Engine, choose_engine
from ocrkit.inputs import collect, parse_pages
from ocrkit.options import OcrOptions
from ocrkit.pages import open_document
from ocrkit.resume import ResumeStore, settings_key
from ocrkit.runner import Job, ProgressFn, Stats, run


def prepare(paths: Sequence[Path], pages: str | None = None) -> list[Job]:
    """Every input checked before any page is read: a bad one fails the run at once."""
    docs = [open_document(inp) for inp in collect(list(paths))]
    return [Job(doc, parse_pages(pages, doc.page_count)) for doc in docs]


async def run_jobs(
    jobs: list[Job], engine: Engine, options: OcrOptions, on_page: ProgressFn | None = None
) -> tuple[list[Document], Stats]:
    await engine.start()
    try:
        store = ResumeStore(
            options.cache_dir, settings_key(engine.cache_settings()), enabled=options.resume
        )
        return await run(
            jobs, engine, store, quality_retries=options.quality_retries, on_page=on_page
        )
    finally:
        await engine.close()


async def aocr(path: str | Path, *, pages: str | None = None, **options: Any) -> Document:
    """OCR one PDF or image. `options` are OcrOptions fields (engine, url, profile,
    language, prompt, max_tokens, concurrency, ...); unset ones come from the environment."""
    opts = OcrOptions(**options)
    jobs = prepare([Path(path)], pages)
    engine, _ = choose_engine(opts)
    documents, _ = await run_jobs(jobs, engine, opts)
    return documents[0]


def ocr(path: str | Path, *, pages: str | None = None, **options: Any) -> Document:
    """Blocking `aocr`."""
    return asyncio.run(aocr(path, pages=pages, **options))
