"""`ocrkit PATH...`: OCR PDFs and page images into Markdown, text, JSON, a searchable PDF
or an HTML review page."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import click
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from ocrkit.api import describe, prepare, run_jobs
from ocrkit.engines import Engine, choose_engine
from ocrkit.errors import InputError, OcrError
from ocrkit.model.profiles import list_profiles
from ocrkit.options import OcrOptions
from ocrkit.outputs.formats import Format, default_path, save
from ocrkit.outputs.results import Document
from ocrkit.pdf.sources import Source
from ocrkit.progress import Progress
from ocrkit.runner import Job, Stats

# The old client's --ocr-service names: (engine, engines auto may pick, profile, url).
SERVICES: dict[str, tuple[str, tuple[str, ...], str | None, str | None]] = {
    "qwen_remote": ("openai", (), None, None),
    "qwen_local": ("vllm", (), "qwen2-vl-2b", None),
    "qwen": ("auto", ("openai", "vllm"), None, None),
    "deepseek": ("openai", (), "deepseek-ocr", "http://localhost:8000"),
}


class Fail(click.ClickException):
    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"ocrkit: error: {self.message}", err=True)


ROUTES = """\b
Where a PDF page's text comes from (--route, OCRKIT_ROUTE):
  auto  its own text layer where that is clean, plausible and complete, else OCR (default)
  ocr   OCR every page, text layer or not
  text  the text layer only, never OCR (fastest); page images fail
"""


def _option_type(field: FieldInfo) -> click.ParamType | None:
    """click's type for an OcrOptions field: its Literal's choices, its numeric bounds."""
    annotation = field.annotation
    if get_origin(annotation) is not Literal:  # X | None: its X
        annotation = next((a for a in get_args(annotation) if a is not type(None)), annotation)
    if get_origin(annotation) is Literal:
        return click.Choice([str(v) for v in get_args(annotation)])
    if annotation not in (int, float):
        return None
    bounds = {type(m).__name__: m for m in field.metadata}
    if "Gt" in bounds:
        low, open_ = bounds["Gt"].gt, True
    elif "Ge" in bounds:
        low, open_ = bounds["Ge"].ge, False
    else:
        return click.IntRange() if annotation is int else click.FloatRange()
    if annotation is int:
        return click.IntRange(min=low + 1 if open_ else low)
    return click.FloatRange(min=low, min_open=open_)


def _flags_from_options(command: Callable[..., None]) -> Callable[..., None]:
    """One flag per OcrOptions field marked for the command line: names, choices, ranges,
    help and defaults come from the model, so no list is typed twice."""
    for name, field in reversed(OcrOptions.model_fields.items()):
        if not (field.json_schema_extra or {}).get("cli"):
            continue
        flag = "--" + name.replace("_", "-")
        env = f"$OCRKIT_{name.upper()}"
        help_text = field.description or ""
        if field.annotation is bool:
            # A flag that turns a default-on option off (--no-resume).
            off = "--no-" + name.replace("_", "-")
            option = click.option(off, name, flag_value=False, default=None, help=help_text)
        else:
            if field.default is not None:
                help_text += f" Default: {field.default}."
            # The profiles are files (built-in, and OCRKIT_CONFIGS folders): listed as found.
            kind = click.Choice(list_profiles()) if name == "profile" else _option_type(field)
            option = click.option(flag, name, type=kind, help=f"{help_text} ({env})")
        command = option(command)
    return command


@click.command(
    help=__doc__, epilog=ROUTES, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--ocr-service", type=click.Choice(sorted(SERVICES)), help="The old client's names for engines."
)
@_flags_from_options
@click.option("--pages", "page_spec", help="Pages to read, e.g. 1-3,7 (default all).")
@click.option("-o", "--output", help="File, folder (ending in /) or - for stdout.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "txt", "json", "jsonl", "pdf", "html"]),
    help="pdf: the input made searchable (invisible text over the untouched pages); "
    "html: a review page, each page's image beside its text.",
    default="md",
    show_default=True,
)
def main(
    paths: tuple[Path, ...],
    ocr_service: str | None,
    page_spec: str | None,
    output: str | None,
    fmt: Format,
    **given: Any,
) -> None:
    allow: tuple[str, ...] = ("openai", "vllm", "tesseract")
    if ocr_service:
        svc_engine, svc_allow, svc_profile, svc_url = SERVICES[ocr_service]
        given["engine"] = given["engine"] or svc_engine
        allow = svc_allow or allow
        given["profile"] = given["profile"] or svc_profile
        given["url"] = given["url"] or svc_url
    try:
        options = OcrOptions(**{k: v for k, v in given.items() if v is not None})
        jobs = prepare(list(paths), page_spec)
        targets = _targets([j.source for j in jobs], output, fmt)
    except ValidationError as exc:
        raise Fail(describe(exc)) from None
    except OcrError as exc:
        raise Fail(str(exc)) from None

    started = time.perf_counter()
    total = sum(len(j.pages) for j in jobs)
    progress = Progress(total, sys.stderr)
    try:
        documents, stats, chosen = asyncio.run(_run(jobs, options, allow, progress))
    except OcrError as exc:
        raise Fail(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("ocrkit: interrupted; finished pages are saved, run again to resume", err=True)
        raise SystemExit(130) from None

    for doc, target in zip(documents, targets, strict=True):
        save(doc, fmt, target)
        if target is not None:
            click.echo(f"ocrkit: wrote {target}", err=True)
    _summary(documents, stats, chosen.name, time.perf_counter() - started)
    if any(d.failed_pages for d in documents):
        raise SystemExit(1)


async def _run(
    jobs: list[Job], options: OcrOptions, allow: tuple[str, ...], progress: Progress
) -> tuple[list[Document], Stats, Engine]:
    chosen, reason = await choose_engine(options, allow=allow)
    click.echo(
        f"ocrkit: engine {chosen.name} ({reason}); {progress.total} pages in {len(jobs)} "
        f"document(s), {chosen.concurrency} in flight",
        err=True,
    )
    with progress:
        documents, stats = await run_jobs(jobs, chosen, options, progress.page_done)
    return documents, stats, chosen


def _targets(docs: list[Source], output: str | None, fmt: Format) -> list[Path | None]:
    if output == "-":
        if fmt in ("pdf", "html") and len(docs) > 1:
            raise InputError(f"--format {fmt} -o -: one document at a time on stdout")
        return [None] * len(docs)
    if output is None:
        return [default_path(d.path, fmt) for d in docs]
    out = Path(output)
    if output.endswith(("/", "\\")) or out.is_dir():
        return [out / default_path(d.path, fmt).name for d in docs]
    if len(docs) > 1:
        raise InputError(f"-o {output}: several documents need a folder (end it with /) or -")
    return [out]


def _summary(documents: list[Document], stats: Stats, engine: str, seconds: float) -> None:
    pages = sum(len(d.pages) for d in documents)
    rate = stats.done / seconds if seconds > 0 else 0.0
    click.echo(
        f"ocrkit: {pages} pages ({stats.resumed} resumed, {stats.done} read: "
        f"{stats.text_layer} from the PDF text layer, {stats.ocr} OCR'd, {stats.failed} "
        "failed) in "
        f"{seconds:.1f} s, {rate:.2f} pages/s, {stats.prompt_tokens} prompt + "
        f"{stats.completion_tokens} completion tokens, engine {engine}",
        err=True,
    )
    for d in documents:
        if d.failed_pages:
            pages_list = ", ".join(map(str, d.failed_pages))
            errors = {p.error for p in d.pages if not p.ok}
            click.echo(
                f"ocrkit: FAILED {d.path}: pages {pages_list}: {'; '.join(errors)}", err=True
            )
