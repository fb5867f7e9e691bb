"""Text-layer pages read ahead, by the run's own process and worker processes beside it.

Reading a born-digital page is Python through and through (the layer's lines, the tables'
grids, the furniture) over PDFium, which is not thread-safe: in one process a run reads one
page at a time, on one core. A run with pages enough to share cuts them into chunks of
consecutive pages, read in the run's order by the run's own process (on its PDF thread) and
by worker processes (`python -m ocrkit.layer_workers`, one fewer than the cores: the run's
own process is a reader too, and starts at once while the workers start). A chunk is read
as one: the neighbours the furniture finder compares a page with, and the table a page goes
on from, are mostly read already. What a page comes out as does not depend on where its
chunk starts (`ocrkit.structure.layer_document.LayerDocument`), so a run with workers
writes what a run without them writes, byte for byte.

Only what the text layer gives goes through them: the gate's verdict, and the text and
blocks of a page read from its layer. OCR (a page the gate sends to it, a picture of text
on a page read from its layer) stays with the engine in the run's own process. Chunks are
read at most a few ahead of the page the run is at, so a long run holds a few chunks'
results, not its documents'. A page a worker could not read (a PDFium error, a worker that
died) is read again in the run's own process, which fails or succeeds with it exactly as a
run without workers does.

The workers are plain subprocesses speaking length-prefixed pickles over their stdin and
stdout, not `multiprocessing`: its spawn and forkserver methods run the caller's main
script again in every worker, which a library must not ask of its users' scripts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from ocrkit.errors import InputError
from ocrkit.pdf.gate import Route
from ocrkit.pdf.sources import Source, SourceDocument, in_pdf_thread
from ocrkit.structure.layer_document import LayerPage, read_from_layer

if TYPE_CHECKING:
    from ocrkit.runner import Job

log = logging.getLogger("ocrkit")

# Pages a run must have to read from text layers (PDF pages not resumed) before it reads
# them in chunks with workers: a worker's start (an interpreter importing the PDF and
# structure modules) costs about what a core reads in 20 pages.
MIN_PAGES = 24
# A chunk: long enough that the pages read again at its start (the neighbours, the table
# its first page may go on from) are a small share of it, short enough that the first pages
# come back soon and the readers share a document evenly.
CHUNK_PAGES = (4, 16)
AHEAD = 2  # chunks read ahead per reader, beyond the one the run is at
_DOCUMENTS_KEPT = 2  # documents a reader keeps open between its chunks
_STOP_S = 5.0  # how long a worker has to exit once told to, before it is killed

Found = dict[int, LayerPage | None]


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(pages: int, wanted: int | None = None) -> int | None:
    """Worker processes for a run with `pages` to read from text layers, beside the run's
    own process; None: no chunks, every page read in the run's own process as it comes.
    `wanted`: the user's number (0: none)."""
    if wanted is not None:
        return wanted or None
    if cores() < 2 or pages < MIN_PAGES:
        return None
    return cores() - 1


@dataclass
class _Chunk:
    index: int  # its place in the run's order
    job: Job
    numbers: list[int]
    future: asyncio.Future[Found]


class LayersAhead:
    """The text-layer pages of a run's PDFs, read in chunks ahead of the run by the run's
    own process and `workers` worker processes: `page()` hands each back, or None for a
    page to read in the run's own process."""

    def __init__(
        self,
        reading: list[tuple[Job, list[int]]],
        workers: int,
        route: Route,
        keep_furniture: bool,
    ) -> None:
        self.route, self.keep_furniture = route, keep_furniture
        self._chunks: list[_Chunk] = []
        self._of: dict[tuple[int, int], _Chunk] = {}
        readers = workers + 1
        total = sum(len(numbers) for _, numbers in reading)
        size = max(CHUNK_PAGES[0], min(CHUNK_PAGES[1], -(-total // (4 * readers))))
        loop = asyncio.get_running_loop()
        for job, numbers in reading:
            for start in range(0, len(numbers), size):
                part = numbers[start : start + size]
                chunk = _Chunk(len(self._chunks), job, part, loop.create_future())
                self._chunks.append(chunk)
                for number in chunk.numbers:
                    self._of[(id(job), number)] = chunk
        self._next = 0  # the first chunk no reader has taken
        self._wanted = 0  # the furthest chunk the run has asked for
        self._ahead = AHEAD * readers
        self._moved = asyncio.Condition()
        self._workers: list[asyncio.subprocess.Process] = []
        self._readers = [asyncio.ensure_future(self._read_here())] + [
            asyncio.ensure_future(self._read_in_worker()) for _ in range(workers)
        ]

    async def page(self, job: Job, number: int) -> LayerPage | None:
        chunk = self._of.pop((id(job), number), None)
        if chunk is None:
            return None
        if chunk.index > self._wanted:
            async with self._moved:
                self._wanted = chunk.index
                self._moved.notify_all()
        # Shielded: a chunk's pages share its future, and a page whose reading is cancelled
        # must not cancel its neighbours'.
        found = await asyncio.shield(chunk.future)
        return found.pop(number, None)

    async def _take(self) -> _Chunk | None:
        """The next chunk in the run's order, once it is within reach of the run; None when
        every chunk is taken."""
        async with self._moved:
            await self._moved.wait_for(
                lambda: self._next >= len(self._chunks) or self._next <= self._wanted + self._ahead
            )
            if self._next >= len(self._chunks):
                return None
            self._next += 1
            return self._chunks[self._next - 1]

    async def _read_here(self) -> None:
        while (chunk := await self._take()) is not None:
            found: Found = {}
            try:
                # A page at a time: the PDF thread also hands finished pages to the sink,
                # which must not wait for a whole chunk.
                for number in chunk.numbers:
                    args = (chunk.job.source, [number], self.route, self.keep_furniture)
                    found |= await in_pdf_thread(read_chunk, *args)
            except BaseException:
                _settle(chunk, {})
                raise
            _settle(chunk, found)

    async def _read_in_worker(self) -> None:
        try:
            proc = await asyncio.create_subprocess_exec(
                *worker_argv(),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                # The worker imports ocrkit from where this process did.
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
            )
        except OSError as exc:
            log.warning("a text-layer worker did not start (%s); its share is read here", exc)
            return
        self._workers.append(proc)
        assert proc.stdin is not None and proc.stdout is not None
        while (chunk := await self._take()) is not None:
            request = (chunk.job.source, chunk.numbers, self.route, self.keep_furniture)
            try:
                data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
                proc.stdin.write(len(data).to_bytes(8, "little") + data)
                await proc.stdin.drain()
                size = int.from_bytes(await proc.stdout.readexactly(8), "little")
                found = pickle.loads(await proc.stdout.readexactly(size))
            except (OSError, EOFError, asyncio.IncompleteReadError, pickle.UnpicklingError):
                # Died (PDFium crashed on a page, killed): its chunk is read here, page by
                # page, and the other readers take the rest.
                log.warning("a text-layer worker stopped; its pages are read in this process")
                _settle(chunk, {})
                return
            except BaseException:
                _settle(chunk, {})
                raise
            _settle(chunk, found)

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        for chunk in self._chunks:
            _settle(chunk, {})
        for proc in self._workers:
            await _stop(proc)
        await in_pdf_thread(close_kept)


def worker_argv() -> list[str]:
    """How a worker is started: this module run by this process's interpreter."""
    return [sys.executable, "-m", __name__]


def _settle(chunk: _Chunk, found: Found) -> None:
    if not chunk.future.done():
        chunk.future.set_result(found)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """A worker told to stop (its stdin closed), killed if it does not."""
    if proc.returncode is not None:
        return
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        await asyncio.wait_for(proc.wait(), _STOP_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()


# A reader's documents, kept open between its chunks (in each worker, and in the run's
# own process for the chunks it reads).
_kept: OrderedDict[tuple[str, str], SourceDocument] = OrderedDict()


def read_chunk(source: Source, numbers: list[int], route: Route, keep_furniture: bool) -> Found:
    """`numbers` of `source` read from their text layers; None for a page that failed (the
    run's own process reads it again, and fails with it as a run without workers would).
    Blocking, on the thread that reads documents."""
    key = (str(source.path), source.sha256)
    doc = _kept.get(key)
    if doc is None:
        try:
            doc = SourceDocument(source)
        except (InputError, OSError):
            return dict.fromkeys(numbers)
        _kept[key] = doc
        while len(_kept) > _DOCUMENTS_KEPT:
            _kept.popitem(last=False)[1].close()
    found: Found = {}
    for number in numbers:
        try:
            found[number] = read_from_layer(doc, number, route, keep_furniture)
        except Exception:  # raised again where the run reads the page itself
            found[number] = None
    return found


def close_kept() -> None:
    while _kept:
        _kept.popitem()[1].close()


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """A worker's loop: each request (a source, its page numbers, the route, whether to
    keep furniture) answered with what `read_chunk` found, until its stdin closes."""
    while len(head := requests.read(8)) == 8:
        source, numbers, route, keep_furniture = pickle.loads(
            requests.read(int.from_bytes(head, "little"))
        )
        data = pickle.dumps(
            read_chunk(source, numbers, route, keep_furniture), protocol=pickle.HIGHEST_PROTOCOL
        )
        replies.write(len(data).to_bytes(8, "little") + data)
        replies.flush()
    close_kept()


if __name__ == "__main__":
    # The replies get stdout's pipe to themselves; whatever else writes to stdout (a
    # library's print, a C library's message) goes to stderr instead.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, replies)
