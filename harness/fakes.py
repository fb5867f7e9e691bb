"""Fakes for the fast tests: an engine that needs no model, and small PDFs made in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fpdf import FPDF

from ocrkit.engines.base import Engine, Reply
from ocrkit.errors import PageFailed
from ocrkit.model.images import PageImage
from ocrkit.options import OcrOptions
from ocrkit.outputs.results import Document
from ocrkit.pdf.document import PdfFile
from ocrkit.pdf.sources import RenderTarget
from ocrkit.pdf.text_layer import PageLayer
from ocrkit.resume import ResumeStore
from ocrkit.runner import Collect, Job, Stats, run

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


class FakeEngine(Engine):
    """Reads a page as `reply(call)`: what it returns is the reply, what it raises the
    failure. `calls` records (image size, temperature) of every read."""

    name = "fake"

    def __init__(
        self,
        reply: Callable[[int, PageImage, float], Reply] | None = None,
        *,
        samples: bool = True,
        concurrency: int = 4,
        delay: float = 0.0,
    ) -> None:
        super().__init__(OcrOptions(engine="tesseract", concurrency=concurrency))
        self.reply = reply or (lambda n, page, t: Reply(text=f"page {n}", finish_reason="stop"))
        self.samples = samples  # type: ignore[misc]  # per instance, for the tests
        self.delay = delay
        self.calls: list[tuple[tuple[int, int], float]] = []
        self.model = "fake-1"

    @property
    def target(self) -> RenderTarget:
        return RenderTarget(dpi=20, jpeg_quality=None)  # tiny pages: fast to render

    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        self.calls.append(((page.width, page.height), temperature))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.reply(len(self.calls), page, temperature)


def fail(message: str) -> Callable[[int, PageImage, float], Reply]:
    def reply(n: int, page: PageImage, t: float) -> Reply:
        raise PageFailed(message)

    return reply


def make_pdf(path: Path, pages: list[str], *, size: tuple[float, float] = (210, 297)) -> Path:
    """A PDF with one line of text per page (a text layer the fallback can read)."""
    pdf = FPDF(unit="mm", format=size)
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=14)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.cell(0, 10, text)
    path.write_bytes(bytes(pdf.output()))
    return path


def content_pdf(path: Path, content: bytes, to_unicode: bytes | None = None) -> Path:
    """A one-page US Letter PDF drawn by the content stream `content`, its font F1 Type 1
    Helvetica (built into every reader), with the ToUnicode map `to_unicode` if given."""
    import pikepdf

    pdf = pikepdf.new()
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    if to_unicode is not None:
        font.ToUnicode = pdf.make_stream(to_unicode)
    pdf.add_blank_page(page_size=(612, 792))
    pdf.pages[0].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=pdf.make_indirect(font)))
    pdf.pages[0].Contents = pdf.make_stream(content)
    pdf.save(path)
    return path


def first_layer(path: Path) -> PageLayer:
    """Page 1's text layer as ocrkit reads it."""
    reader = PdfFile(path)
    try:
        return reader.layer(1)
    finally:
        reader.close()


def counter(metrics_text: str, name: str, **labels: str) -> float:
    """A counter's value in a Prometheus text exposition (0 when absent). The registry is
    the process's, so tests compare values before and after."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def run_collected(
    jobs: list[Job], engine: Engine, store: ResumeStore, **kwargs: Any
) -> tuple[list[Document], Stats]:
    """`ocrkit.runner.run` with every page kept: the documents and the stats."""
    collect = Collect()
    stats = asyncio.run(run(jobs, engine, store, collect, **kwargs))
    return collect.documents, stats
