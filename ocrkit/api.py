"""The library API: `ocrkit.ocr(path)` and its async twin.

    doc = ocrkit.ocr("report.pdf", engine="tesseract", pages="1-3")
    doc = await ocrkit.aocr("report.pdf", url="http://gpu-box:8001")

Options are keyword arguments named as `OcrOptions` fields; unset ones come from the
environment (OCRKIT_*), an unknown one is a TypeError, an invalid value an OptionsError.
Every error ocrkit raises on purpose is an `ocrkit.OcrError`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pydantic import SecretStr, ValidationError

from ocrkit.engines import Engine, choose_engine
from ocrkit.errors import OptionsError
from ocrkit.options import EngineName, Language, LayoutUse, OcrOptions, VlmMode
from ocrkit.outputs.results import Document
from ocrkit.pdf.gate import Route
from ocrkit.pdf.inputs import collect, parse_pages
from ocrkit.pdf.sources import check_source
from ocrkit.resume import ResumeStore, settings_key
from ocrkit.runner import Collect, Job, PageSink, ProgressFn, Stats, run

P = ParamSpec("P")
# Part of the resume key: a page saved by a version that read pages differently (before
# tables and furniture, 2; before paragraph blocks, 3; before text roles and the paragraph
# rules of size, weight and mid-sentence breaks, 4; before formulas on scans were read again,
# Tesseract headings went by letter size, its broken-off sentences were joined and a
# text-layer line opening with a number could go on with a paragraph, 5; before statements
# anchored on their line codes, deskewed scans and pages read again in their language's
# model, 6; before two-column price lists and lam-alef ligatures in their letters' order,
# 7) is read again.
RESULTS_VERSION = 7
T = TypeVar("T")


def prepare(paths: Sequence[Path], pages: str | None = None) -> list[Job]:
    """Every input checked (then closed) before any page is read: a bad one fails the run
    at once. Blocking: `aprepare` runs it off the event loop."""
    jobs = []
    for inp in collect(list(paths)):
        source = check_source(inp)
        jobs.append(Job(source, parse_pages(pages, source.page_count)))
    return jobs


async def aprepare(paths: Sequence[Path], pages: str | None = None) -> list[Job]:
    return await asyncio.to_thread(prepare, paths, pages)


async def run_jobs(
    jobs: list[Job],
    engine: Engine,
    options: OcrOptions,
    sink: PageSink,
    on_page: ProgressFn | None = None,
) -> Stats:
    """Reads every page of `jobs`, handing each to `sink` in order as it is done."""
    # --route text never OCRs: the engine is not started, and not part of the resume key.
    if options.route != "text":
        await engine.start()
    try:
        # The route is part of the key: a page read from its text layer and the same page
        # OCR'd are different results.
        settings = engine.cache_settings() if options.route != "text" else {}
        key = settings_key(
            {
                **settings,
                "route": options.route,
                "keep_furniture": options.keep_furniture,
                "results": RESULTS_VERSION,
            }
        )
        store = ResumeStore(options.cache_dir, key, enabled=options.resume)
        reader = None
        if options.ray_address:
            # Imported only for a cluster run: Ray is an extra.
            from ocrkit.cluster import RayPages

            reader = await asyncio.to_thread(
                functools.partial(
                    RayPages,
                    engine,
                    options,
                    settings=settings,
                    key=key,
                    quality_retries=options.quality_retries,
                    route=options.route,
                    keep_furniture=options.keep_furniture,
                )
            )
        return await run(
            jobs,
            engine,
            store,
            sink,
            quality_retries=options.quality_retries,
            route=options.route,
            keep_furniture=options.keep_furniture,
            on_page=on_page,
            # Pages read once the engine reads otherwise than the key says (its layout stage
            # failed to load under --layout auto) are not saved under that key.
            keyed=lambda: (engine.cache_settings() if options.route != "text" else {}) == settings,
            reader=reader,
            text_workers=options.text_workers,
        )
    finally:
        await engine.close()


async def read_documents(
    jobs: list[Job], engine: Engine, options: OcrOptions
) -> tuple[list[Document], Stats]:
    """`run_jobs`, every page kept: the documents whole."""
    collect = Collect()
    stats = await run_jobs(jobs, engine, options, collect)
    return collect.documents, stats


def make_options(base: OcrOptions | None = None, **given: object) -> OcrOptions:
    """`base` (or the environment) with the keyword arguments that were given on top."""
    given = {k: v for k, v in given.items() if v is not None}
    try:
        if base is None:
            return OcrOptions(**given)
        return OcrOptions.model_validate({**base.model_dump(exclude_unset=True), **given})
    except ValidationError as exc:
        raise OptionsError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    return "; ".join(
        f"invalid {'.'.join(map(str, e['loc']))}={e.get('input')!r}: {e['msg']}"
        for e in exc.errors()
    )


async def aocr(
    path: str | Path,
    *,
    options: OcrOptions | None = None,
    pages: str | None = None,
    engine: EngineName | None = None,
    profile: str | None = None,
    url: str | None = None,
    api_key: str | SecretStr | None = None,
    model: str | None = None,
    language: Language | None = None,
    route: Route | None = None,
    keep_furniture: bool | None = None,
    vlm_mode: VlmMode | None = None,
    layout: LayoutUse | None = None,
    prompt_type: str | None = None,
    prompt: str | None = None,
    max_tokens: int | None = None,
    concurrency: int | None = None,
    text_workers: int | None = None,
    timeout: float | None = None,
    retry_budget: float | None = None,
    quality_retries: int | None = None,
    resume: bool | None = None,
    cache_dir: str | Path | None = None,
    ray_address: str | None = None,
    ray_cpus_per_page: float | None = None,
) -> Document:
    """OCR one PDF or page image. `pages` selects pages ("1-3,7"); the other arguments are
    `OcrOptions` fields, applied over `options` (or the environment). Never blocks the event
    loop: file checks, rendering and hashing run in threads."""
    opts = make_options(
        options,
        engine=engine,
        profile=profile,
        url=url,
        api_key=api_key,
        model=model,
        language=language,
        route=route,
        keep_furniture=keep_furniture,
        vlm_mode=vlm_mode,
        layout=layout,
        prompt_type=prompt_type,
        prompt=prompt,
        max_tokens=max_tokens,
        concurrency=concurrency,
        text_workers=text_workers,
        timeout=timeout,
        retry_budget=retry_budget,
        quality_retries=quality_retries,
        resume=resume,
        cache_dir=cache_dir,
        ray_address=ray_address,
        ray_cpus_per_page=ray_cpus_per_page,
    )
    jobs = await aprepare([Path(path)], pages)
    chosen, _ = await choose_engine(opts)
    documents, _ = await read_documents(jobs, chosen, opts)
    return documents[0]


def _blocking(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    @functools.wraps(fn)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
        return asyncio.run(fn(*args, **kwargs))

    return blocking


ocr = _blocking(aocr)
ocr.__name__ = ocr.__qualname__ = "ocr"
ocr.__doc__ = """Blocking `aocr`, with the same arguments (not for use inside a running loop)."""
