"""Runs pages through an engine: one queue for the pages of all documents, a bounded number
in flight, results kept in page order, every finished page saved for resume.

Each PDF page first goes by its route (`ocrkit.pdf.gate`): read from its own text layer where that
is good, OCR'd where it is not.

A document is open only while pages of it are being read: opened by the first page that
needs it, closed when its last page is done. With the queue in document order that keeps
at most about `concurrency` documents open, however many there are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ocrkit.engines.base import Engine, Reply
from ocrkit.errors import ImageError, InputError, PageFailed
from ocrkit.model.quality import attempt_temperatures, needs_retry
from ocrkit.outputs.results import Document, PageResult
from ocrkit.pdf.gate import Gate, Route, judge
from ocrkit.pdf.sources import Source, SourceDocument
from ocrkit.pdf.text_layer import PageLayer
from ocrkit.resume import ResumeStore


@dataclass
class Job:
    source: Source
    pages: list[int]
    results: dict[int, PageResult] = field(default_factory=dict)


@dataclass
class Stats:
    done: int = 0
    failed: int = 0
    resumed: int = 0
    text_layer: int = 0
    ocr: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


ProgressFn = Callable[[PageResult, Source], None]


class _OpenDocuments:
    """Opens a job's document for its first page and closes it after its last."""

    def __init__(self) -> None:
        self._open: dict[int, asyncio.Task[SourceDocument]] = {}
        self._left: dict[int, int] = {}

    def expect(self, job: Job, pages: int) -> None:
        self._left[id(job)] = pages

    async def acquire(self, job: Job) -> SourceDocument:
        key = id(job)
        if key not in self._open:
            self._open[key] = asyncio.ensure_future(asyncio.to_thread(SourceDocument, job.source))
        return await self._open[key]

    async def release(self, job: Job) -> None:
        key = id(job)
        self._left[key] -= 1
        if self._left[key] == 0:
            await self._close(key)

    async def close_all(self) -> None:
        for key in list(self._open):
            await self._close(key)

    async def _close(self, key: int) -> None:
        task = self._open.pop(key, None)
        if task is None:
            return
        try:
            doc = await task
        except (InputError, OSError):
            return
        await asyncio.to_thread(doc.close)


async def run(
    jobs: list[Job],
    engine: Engine,
    store: ResumeStore,
    *,
    quality_retries: int,
    route: Route = "auto",
    on_page: ProgressFn | None = None,
) -> tuple[list[Document], Stats]:
    stats = Stats()
    queue: asyncio.Queue[tuple[Job, int]] = asyncio.Queue()
    documents = _OpenDocuments()
    for job in jobs:
        finished = await asyncio.to_thread(store.load, job.source.sha256)
        todo = 0
        for number in job.pages:
            if number in finished:
                job.results[number] = finished[number]
                stats.resumed += 1
            else:
                queue.put_nowait((job, number))
                todo += 1
        documents.expect(job, todo)

    async def worker() -> None:
        while True:
            try:
                job, number = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                result = await read_page(engine, documents, job, number, quality_retries, route)
            finally:
                await documents.release(job)
            job.results[number] = result
            await asyncio.to_thread(store.save, job.source.sha256, result)
            stats.done += 1
            stats.failed += not result.ok
            stats.text_layer += result.source == "text-layer"
            stats.ocr += result.source == "ocr"
            stats.prompt_tokens += result.prompt_tokens or 0
            stats.completion_tokens += result.completion_tokens or 0
            if on_page:
                on_page(result, job.source)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, engine.concurrency))]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        await documents.close_all()
    results = [
        Document(
            path=job.source.path,
            sha256=job.source.sha256,
            page_count=job.source.page_count,
            pages=[job.results[n] for n in job.pages],
        )
        for job in jobs
    ]
    return results, stats


async def read_page(
    engine: Engine,
    documents: _OpenDocuments,
    job: Job,
    number: int,
    quality_retries: int,
    route: Route = "auto",
) -> PageResult:
    started = time.perf_counter()
    attempts = 0
    reply: Reply | None = None
    doc: SourceDocument | None = None
    gate: Gate | None = None
    layer: PageLayer | None = None
    try:
        doc = await documents.acquire(job)
        if route != "ocr":
            layer = await asyncio.to_thread(doc.layer, number)
            if layer is None and route == "text":
                raise InputError("an image has no text layer, and --route text never OCRs")
            if layer is not None:
                gate = judge(layer) if route == "auto" else _FORCED
                if gate.route == "text-layer":
                    return PageResult(
                        page=number,
                        text=layer.text,
                        source="text-layer",
                        engine="pdf-text-layer",
                        seconds=round(time.perf_counter() - started, 3),
                        gate=gate,
                    )
        page = await asyncio.to_thread(doc.render, number, engine.target)
        for temperature in attempt_temperatures(quality_retries, engine.samples):
            attempts += 1
            reply = await engine.read(page, temperature=temperature)
            if needs_retry(reply.raw or reply.text, reply.finish_reason) is None:
                break
        del page
    except (PageFailed, ImageError, InputError, OSError) as exc:
        # The text layer stands in for a failed OCR unless the gate found it untrustworthy.
        trusted = gate is None or gate.measure == "uncovered_image_area"
        if trusted and layer is None and doc is not None:
            layer = await asyncio.to_thread(doc.layer, number)  # route ocr: not read yet
        text = layer.text if trusted and layer is not None else ""
        return PageResult(
            page=number,
            text=text,
            source="text-layer" if text else "failed",
            engine=engine.name,
            model=engine.model,
            attempts=attempts,
            seconds=round(time.perf_counter() - started, 3),
            error=str(exc),
            gate=gate,
        )
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
        blocks=reply.blocks,
        image_size=reply.image_size,
        gate=gate,
    )


_FORCED = Gate(route="text-layer", reason="--route text: the text layer as it is, never OCR")
