"""What a Ray worker runs: an input checked, or a page read by `runner.read_page` exactly as a
local run reads it and saved in the run's store (on storage every node sees) before it goes
back to the driver, so that a driver that dies loses nothing a worker finished.

Ray calls these functions in its worker processes, one call at a time per process. Each
process keeps one event loop on a thread of its own, one started engine per run and the last
few documents open, so that an engine's connections, its start-up and a document's opening
outlive a page.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ocrkit import runner
from ocrkit.engines import ENGINES, Engine
from ocrkit.errors import InputError
from ocrkit.options import OcrOptions
from ocrkit.outputs.results import PageResult
from ocrkit.pdf.gate import Route
from ocrkit.pdf.inputs import Input, parse_pages
from ocrkit.pdf.sources import SourceDocument, check_source, in_pdf_thread
from ocrkit.resume import ResumeStore
from ocrkit.runner import Job

T = TypeVar("T")

# Runs whose engines a worker process keeps started; an older run's engine is closed.
_KEPT_RUNS = 2


@dataclass(frozen=True)
class RunSpec:
    """One run, as every worker must read its pages: the options (the engine the driver
    chose, by name), and the store's key with the engine settings it stands for."""

    run_id: str
    options: OcrOptions
    settings: dict[str, object]
    key: str
    quality_retries: int
    route: Route
    keep_furniture: bool


@dataclass(frozen=True)
class PageTask:
    spec: RunSpec
    job: Job
    number: int


@dataclass(frozen=True)
class Checked:
    """An input as a worker found it: its job, or why it cannot be read."""

    path: Path
    job: Job | None = None
    error: str | None = None


def check_input(inp: Input, pages: str | None) -> Checked:
    try:
        source = check_source(inp)
        return Checked(inp.path, Job(source, parse_pages(pages, source.page_count)))
    except InputError as exc:
        return Checked(inp.path, error=str(exc))


def read_page(task: PageTask) -> PageResult:
    return _on_loop(_read(task))


class _KeptDocuments:
    """The documents this process read last, kept open: a long document's pages come one
    task at a time, and opening it for each would read its cross-reference table each time."""

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self._open: OrderedDict[tuple[Path, str], SourceDocument] = OrderedDict()

    async def acquire(self, job: Job) -> SourceDocument:
        key = (job.source.path, job.source.sha256)
        if key in self._open:
            self._open.move_to_end(key)
            return self._open[key]
        document = await in_pdf_thread(SourceDocument, job.source)
        self._open[key] = document
        while len(self._open) > self.keep:
            _, old = self._open.popitem(last=False)
            await in_pdf_thread(old.close)
        return document


_documents = _KeptDocuments()


async def _read(task: PageTask) -> PageResult:
    spec = task.spec
    engine = await _engine(spec)
    result = await runner.read_page(
        engine,
        _documents,
        task.job,
        task.number,
        spec.quality_retries,
        spec.route,
        spec.keep_furniture,
    )
    # As a local run saves: a text-layer page always, an OCR'd one while the engine still
    # reads as the key says.
    keyed = spec.route == "text" or engine.cache_settings() == spec.settings
    if result.source == "text-layer" or keyed:
        store = ResumeStore(spec.options.cache_dir, spec.key, enabled=spec.options.resume)
        await asyncio.to_thread(store.save, task.job.source.sha256, result)
    return result


_engines: dict[str, asyncio.Task[Engine]] = {}


async def _engine(spec: RunSpec) -> Engine:
    if spec.run_id not in _engines:
        while len(_engines) >= _KEPT_RUNS:
            old = _engines.pop(next(iter(_engines)))
            if old.done() and old.exception() is None:
                await old.result().close()
        _engines[spec.run_id] = asyncio.ensure_future(_start(spec))
    task = _engines[spec.run_id]
    try:
        return await task
    except BaseException:
        _engines.pop(spec.run_id, None)  # the next page tries again
        raise


async def _start(spec: RunSpec) -> Engine:
    engine = ENGINES[spec.options.engine](spec.options)
    if spec.route != "text":
        await engine.start()
    return engine


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _on_loop(coro: Coroutine[Any, Any, T]) -> T:
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="ocrkit-worker", daemon=True).start()
    return asyncio.run_coroutine_threadsafe(coro, _loop).result()
