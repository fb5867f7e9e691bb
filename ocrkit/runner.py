"""Runs pages through an engine: one queue for the pages of all documents, a bounded number
in flight, every finished page saved for resume and handed on in order.

Each PDF page first goes by its route (`ocrkit.pdf.gate`): read from its own text layer where
that is good, OCR'd where it is not.

Pages finish in any order but reach the sink in queue order (document by document, page by
page), as soon as every page before them has: an output is written while the run goes on,
and nothing holds the results of a whole document. A page waits to start while it is
`window` pages ahead of the first unfinished one, so the pages held back for order stay
bounded however long the run. Resumed pages are read back from the store at their turn.

A document is open only while pages of it are being read: opened by the first page that
needs it, closed when its last page is done. With the queue in document order that keeps
at most about `concurrency` documents open, however many there are.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ocrkit.engines.base import Engine, Reply
from ocrkit.errors import ImageError, InputError, PageFailed
from ocrkit.layer_workers import LayersAhead, worker_count
from ocrkit.model.postprocess import Block
from ocrkit.model.quality import attempt_temperatures, needs_retry
from ocrkit.outputs.results import Document, PageResult
from ocrkit.outputs.sink import PageSink
from ocrkit.pdf.gate import Gate, Route
from ocrkit.pdf.sources import Source, SourceDocument, in_pdf_thread
from ocrkit.resume import ResumeStore
from ocrkit.structure.continued import OcrContinuation
from ocrkit.structure.layer_document import read_from_layer
from ocrkit.structure.ocr_furniture import OcrFurniture
from ocrkit.structure.text_page import with_picture_text

log = logging.getLogger("ocrkit")

# Pages a page may run ahead of the first unfinished one: large enough that a slow page
# rarely stalls the others, small enough that the results held for order stay a few MB.
WINDOW = 256


@dataclass
class Job:
    source: Source
    pages: list[int]


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
__all__ = ["Collect", "Job", "LocalPages", "PageReader", "PageSink", "ProgressFn", "Stats", "run"]


class Collect:
    """A sink that keeps every page: the documents the library API returns."""

    def __init__(self) -> None:
        self.documents: list[Document] = []
        self._current: Document | None = None

    def add(self, source: Source, page: PageResult) -> None:
        if self._current is None:
            self._current = Document(
                path=source.path, sha256=source.sha256, page_count=source.page_count, pages=[]
            )
        self._current.pages.append(page)

    def done(self, source: Source) -> None:
        if self._current is not None:
            self.documents.append(self._current)
        self._current = None


class Documents(Protocol):
    """Where `read_page` gets a job's open document."""

    async def acquire(self, job: Job) -> SourceDocument: ...


class _OpenDocuments:
    """Opens a job's document for its first page that needs it and closes it after the
    job's last page."""

    def __init__(self) -> None:
        self._open: dict[int, asyncio.Task[SourceDocument]] = {}
        self._left: dict[int, int] = {}

    def expect(self, job: Job, pages: int) -> None:
        self._left[id(job)] = pages

    async def acquire(self, job: Job) -> SourceDocument:
        key = id(job)
        if key not in self._open:
            self._open[key] = asyncio.ensure_future(in_pdf_thread(SourceDocument, job.source))
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
        await in_pdf_thread(doc.close)


class _InOrder:
    """Hands finished pages to the sink in queue order, and holds back pages that would run
    more than `window` ahead of the first unfinished one."""

    def __init__(self, sink: PageSink, window: int) -> None:
        self.sink, self.window = sink, window
        self.next = 0  # queue position of the first page not yet handed on
        self._finished: dict[int, tuple[Job, PageResult, bool]] = {}
        self._moved = asyncio.Condition()
        self._handing = asyncio.Lock()

    async def wait_turn(self, position: int) -> None:
        async with self._moved:
            await self._moved.wait_for(lambda: position < self.next + self.window)

    async def finish(self, position: int, job: Job, page: PageResult, last: bool) -> None:
        self._finished[position] = (job, page, last)
        async with self._handing:
            while self.next in self._finished:
                job, page, last = self._finished.pop(self.next)
                await in_pdf_thread(self.sink.add, job.source, page)
                if last:
                    await in_pdf_thread(self.sink.done, job.source)
                async with self._moved:
                    self.next += 1
                    self._moved.notify_all()


async def run(
    jobs: list[Job],
    engine: Engine,
    store: ResumeStore,
    sink: PageSink,
    *,
    quality_retries: int,
    route: Route = "auto",
    keep_furniture: bool = False,
    on_page: ProgressFn | None = None,
    window: int = WINDOW,
    keyed: Callable[[], bool] = lambda: True,
    reader: PageReader | None = None,
    text_workers: int | None = None,
) -> Stats:
    """Reads the pages of `jobs` (each from `store` where saved there), handing each to `sink`
    in order. An OCR'd page is saved only while `keyed()`: while the engine still reads as
    the store's key says (a layout stage that fails to load mid-run changes that).

    `reader` reads the pages that are not saved: by default `LocalPages`, here; a cluster's
    reader (`ocrkit.cluster`) sends each page to a worker that reads it with `read_page` too."""
    stats = Stats()
    reader = reader or LocalPages(engine, quality_retries, route, keep_furniture, text_workers)
    saved: dict[int, set[int]] = {}
    for job in jobs:
        saved[id(job)] = await asyncio.to_thread(store.saved_pages, job.source.sha256)
        reader.expect(job, len(job.pages), [n for n in job.pages if n not in saved[id(job)]])
    # Handed out one at a time (the loop is one thread): nothing is queued up front.
    queue = enumerate(
        (job, number, i == len(job.pages) - 1) for job in jobs for i, number in enumerate(job.pages)
    )
    # OCR'd pages' running headers, footers and page numbers are found on the way out, once
    # the pages around them are read (text-layer pages' as they are read), and leave the
    # text unless kept;
    # then a table that opens a page is checked against the one that closed the page before.
    continued = OcrContinuation(sink)
    order = _InOrder(OcrFurniture(continued, keep=keep_furniture), window)

    async def worker() -> None:
        while True:
            try:
                position, (job, number, last) = next(queue)
            except StopIteration:
                return
            await order.wait_turn(position)
            result = None
            if number in saved[id(job)]:
                result = await asyncio.to_thread(store.load_page, job.source.sha256, number)
            if result is not None:
                stats.resumed += 1
                await reader.skip(job)
            else:
                result = await reader.read(job, number)
                # A page read from its text layer is the same whatever the engine.
                if not reader.saves and (result.source == "text-layer" or keyed()):
                    await asyncio.to_thread(store.save, job.source.sha256, result)
                stats.done += 1
                stats.failed += not result.ok
                stats.text_layer += result.source == "text-layer"
                stats.ocr += result.source == "ocr"
                stats.prompt_tokens += result.prompt_tokens or 0
                stats.completion_tokens += result.completion_tokens or 0
                if on_page:
                    on_page(result, job.source)
            await order.finish(position, job, result, last)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, reader.concurrency))]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        await reader.close()
    return stats


class PageReader(Protocol):
    """What reads the pages a run has not saved yet."""

    @property
    def concurrency(self) -> int:
        """Pages in flight at once."""

    @property
    def saves(self) -> bool:
        """Whether a page comes back already saved in the run's store (by whoever read it)."""

    def expect(self, job: Job, pages: int, reading: list[int]) -> None:
        """`pages` of `job` will be read or skipped; `reading`: those to read, in order."""

    async def read(self, job: Job, number: int) -> PageResult: ...

    async def skip(self, job: Job) -> None:
        """A page of `job` came from the store instead."""

    async def close(self) -> None: ...


class LocalPages:
    """Pages read here, by `engine`, each document open while pages of it are read; where
    the run has pages enough, their text layers read ahead by worker processes
    (`ocrkit.layer_workers`: `text_workers` of them, or one per core when None)."""

    saves = False

    def __init__(
        self,
        engine: Engine,
        quality_retries: int,
        route: Route = "auto",
        keep_furniture: bool = False,
        text_workers: int | None = None,
    ) -> None:
        self.engine, self.quality_retries = engine, quality_retries
        self.route, self.keep_furniture = route, keep_furniture
        self.text_workers = text_workers
        self._documents = _OpenDocuments()
        self._reading: list[tuple[Job, list[int]]] = []
        self._ahead: LayersAhead | None = None
        self._planned = False

    @property
    def concurrency(self) -> int:
        return self.engine.concurrency

    def expect(self, job: Job, pages: int, reading: list[int]) -> None:
        self._documents.expect(job, pages)
        if job.source.kind == "pdf" and self.route != "ocr":
            self._reading.append((job, reading))

    def _layers_ahead(self) -> LayersAhead | None:
        """Made at the first page read, once every job is known."""
        if not self._planned:
            self._planned = True
            total = sum(len(numbers) for _, numbers in self._reading)
            workers = worker_count(total, self.text_workers)
            if workers is not None:
                self._ahead = LayersAhead(self._reading, workers, self.route, self.keep_furniture)
            self._reading = []
        return self._ahead

    async def read(self, job: Job, number: int) -> PageResult:
        try:
            return await read_page(
                self.engine,
                self._documents,
                job,
                number,
                self.quality_retries,
                self.route,
                self.keep_furniture,
                self._layers_ahead(),
            )
        finally:
            await self._documents.release(job)

    async def skip(self, job: Job) -> None:
        await self._documents.release(job)

    async def close(self) -> None:
        try:
            if self._ahead is not None:
                await self._ahead.close()
        finally:
            await self._documents.close_all()


async def read_page(
    engine: Engine,
    documents: Documents,
    job: Job,
    number: int,
    quality_retries: int,
    route: Route = "auto",
    keep_furniture: bool = False,
    ahead: LayersAhead | None = None,
) -> PageResult:
    """Page `number` of `job`: from its text layer where the gate lets it (read here, or
    by a worker process where `ahead` has read it already), OCR'd by `engine` otherwise."""
    started = time.perf_counter()
    attempts = 0
    reply: Reply | None = None
    doc: SourceDocument | None = None
    gate: Gate | None = None
    try:
        if route != "ocr":
            found = await ahead.page(job, number) if ahead is not None else None
            if found is None:
                doc = await documents.acquire(job)
                found = await in_pdf_thread(read_from_layer, doc, number, route, keep_furniture)
            if found.gate is None and route == "text":
                raise InputError("an image has no text layer, and --route text never OCRs")
            gate = found.gate
            if gate is not None and gate.route == "text-layer":
                text, blocks, error = found.text, found.blocks, None
                name = "pdf-text-layer"
                if gate.pictures and blocks is not None:
                    doc = doc or await documents.acquire(job)
                    text, blocks, error = await _with_pictures(engine, doc, number, gate, blocks)
                    name += f"+{engine.name}"
                size = found.size
                return PageResult(
                    page=number,
                    text=text,
                    source="text-layer",
                    engine=name,
                    seconds=round(time.perf_counter() - started, 3),
                    error=error,
                    gate=gate,
                    blocks=blocks,
                    image_size=(round(size[0]), round(size[1])) if blocks and size else None,
                )
        doc = doc or await documents.acquire(job)
        page = await in_pdf_thread(doc.render, number, engine.target)
        for temperature in attempt_temperatures(quality_retries, engine.samples):
            attempts += 1
            reply = await engine.read(page, temperature=temperature)
            if needs_retry(reply.raw or reply.text, reply.finish_reason) is None:
                break
        del page
    except (PageFailed, ImageError, InputError, OSError) as exc:
        # The text layer stands in for a failed OCR unless the gate found it untrustworthy.
        trusted = gate is None or gate.measure == "uncovered_image_area"
        layer = await in_pdf_thread(doc.layer, number) if trusted and doc is not None else None
        text = layer.text if layer is not None else ""
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


async def _with_pictures(
    engine: Engine, doc: SourceDocument, number: int, gate: Gate, blocks: list[Block]
) -> tuple[str, list[Block], str | None]:
    """A text-layer page with its pictures' text (screenshots, banners: the gate found text
    in them that the layer lacks) read by the engine, all of them together, and put in
    where each picture stands; and the error of a picture the engine could not read (the
    page stands without it)."""
    crops, boxes, error = [], [], None
    for box in gate.pictures:
        try:
            crops.append(await in_pdf_thread(doc.render_region, number, engine.target, box))
            boxes.append(box)
        except (PageFailed, ImageError) as exc:
            log.warning("page %d: a picture's text was not read: %s", number, exc)
            error = error or str(exc)
    found = []
    for box, reply in zip(boxes, await engine.read_pictures(crops) if crops else [], strict=True):
        if isinstance(reply, Exception):
            log.warning("page %d: a picture's text was not read: %s", number, reply)
            error = error or str(reply)
        elif reply.text.strip():
            found.append((box, reply.text.strip()))
    return (*with_picture_text(blocks, found, engine.name), error)
