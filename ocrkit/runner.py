"""Runs pages through an engine: one queue for the pages of all documents, a bounded number
in flight, results kept in page order, every finished page saved for resume."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ocrkit.document import Document, PageResult
from ocrkit.engines.base import Engine, PageFailed, Reply
from ocrkit.images import ImageError
from ocrkit.inputs import InputError
from ocrkit.pages import OpenDocument, render_page, text_layer
from ocrkit.quality import needs_retry
from ocrkit.resume import ResumeStore

# Temperature for each extra attempt at a page whose reply looped or was cut off.
RETRY_TEMPERATURES = (0.2, 0.4, 0.6, 0.8)


@dataclass
class Job:
    doc: OpenDocument
    pages: list[int]
    results: dict[int, PageResult] = field(default_factory=dict)


@dataclass
class Stats:
    done: int = 0
    failed: int = 0
    resumed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


ProgressFn = Callable[[PageResult, OpenDocument], None]


async def run(
    jobs: list[Job],
    engine: Engine,
    store: ResumeStore,
    *,
    quality_retries: int,
    on_page: ProgressFn | None = None,
) -> tuple[list[Document], Stats]:
    stats = Stats()
    queue: asyncio.Queue[tuple[Job, int]] = asyncio.Queue()
    for job in jobs:
        finished = store.load(job.doc.sha256)
        for number in job.pages:
            if number in finished:
                job.results[number] = finished[number]
                stats.resumed += 1
            else:
                queue.put_nowait((job, number))

    async def worker() -> None:
        while True:
            try:
                job, number = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            result = await read_page(engine, job.doc, number, quality_retries)
            job.results[number] = result
            store.save(job.doc.sha256, result)
            stats.done += 1
            stats.failed += not result.ok
            stats.prompt_tokens += result.prompt_tokens or 0
            stats.completion_tokens += result.completion_tokens or 0
            if on_page:
                on_page(result, job.doc)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, engine.concurrency))]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
    documents = [
        Document(
            path=job.doc.path,
            sha256=job.doc.sha256,
            page_count=job.doc.page_count,
            pages=[job.results[n] for n in job.pages],
        )
        for job in jobs
    ]
    return documents, stats


async def read_page(
    engine: Engine, doc: OpenDocument, number: int, quality_retries: int
) -> PageResult:
    started = time.perf_counter()
    attempts = 0
    reply: Reply | None = None
    try:
        page = await asyncio.to_thread(render_page, doc, number, engine.target)
        for temperature in (0.0, *RETRY_TEMPERATURES[:quality_retries]):
            attempts += 1
            reply = await engine.read(page, temperature=temperature)
            if needs_retry(reply.text, reply.finish_reason) is None:
                break
        del page
    except (PageFailed, ImageError, InputError, OSError) as exc:
        return await _fallback(engine, doc, number, attempts, started, str(exc))
    assert reply is not None
    return PageResult(
        page=number,
        text=reply.text,
        source="ocr",
        engine=engine.name,
        model=engine.model,
        attempts=attempts,
        finish_reason=reply.finish_reason,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        seconds=round(time.perf_counter() - started, 3),
    )


async def _fallback(
    engine: Engine, doc: OpenDocument, number: int, attempts: int, started: float, error: str
) -> PageResult:
    """A page OCR could not read: its PDF text layer if it has one, else a failed page."""
    text = await asyncio.to_thread(text_layer, doc, number)
    return PageResult(
        page=number,
        text=text,
        source="text-layer" if text else "failed",
        engine=engine.name,
        model=engine.model,
        attempts=attempts,
        seconds=round(time.perf_counter() - started, 3),
        error=error,
    )
