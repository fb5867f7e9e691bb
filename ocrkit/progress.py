"""Progress: a live bar on a terminal (pages, pages/s, ETA, failures), log lines otherwise."""

from __future__ import annotations

import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress

from ocrkit.outputs.results import PageResult
from ocrkit.pdf.sources import Source


class Progress:
    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.done = self.failed = self.text_layer = 0
        self.started = time.perf_counter()
        self.live = stream.isatty()
        self._bar: RichProgress | None = None

    def __enter__(self) -> Progress:
        if self.live:
            self._bar = RichProgress(
                TextColumn("[bold]OCR"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]:.2f} pages/s"),
                TimeRemainingColumn(),
                TextColumn("[cyan]{task.fields[text_layer]} text layer"),
                TextColumn("[red]{task.fields[failed]} failed"),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(
                "ocr", total=self.total, rate=0.0, failed=0, text_layer=0
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)  # type: ignore[arg-type]

    def page_done(self, result: PageResult, doc: Source) -> None:
        self.done += 1
        self.failed += not result.ok
        self.text_layer += result.source == "text-layer"
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        if self._bar is not None:
            self._bar.update(
                self._task, advance=1, rate=rate, failed=self.failed, text_layer=self.text_layer
            )
            return
        status = {"ocr": f"OCR {result.seconds:.1f}s", "text-layer": "text-layer"}.get(
            result.source, result.source
        )
        self.stream.write(
            f"ocrkit: {self.done}/{self.total} {doc.path.name} page {result.page}: {status}"
            f"{' ' + result.error if result.error else ''}\n"
        )
        self.stream.flush()
