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
from ocrkit.cluster.worker import Checked
from ocrkit.engines import Engine, choose_engine
from ocrkit.errors import InputError, OcrError
from ocrkit.model.profiles import list_profiles
from ocrkit.options import OcrOptions
from ocrkit.outputs.formats import Format, OutputFile, default_path
from ocrkit.outputs.results import PageResult
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
        extra = field.json_schema_extra or {}
        if not isinstance(extra, dict) or not extra.get("cli"):
            continue
        flag = str(extra.get("flag") or "--" + name.replace("_", "-"))
        env = f"$OCRKIT_{name.upper()}"
        help_text = field.description or ""
        if field.annotation is bool:
            # A default-on option gets a flag that turns it off (--no-resume), a default-off
            # one a flag that turns it on (--keep-furniture).
            on = not field.default
            name_flag = flag if on else "--no-" + name.replace("_", "-")
            option = click.option(name_flag, name, flag_value=on, default=None, help=help_text)
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
        bad: list[Checked] = []
        if options.ray_address:
            # On a cluster the workers check the inputs, and a bad one fails alone.
            from ocrkit.cluster import prepare_on_cluster

            jobs, bad = prepare_on_cluster(list(paths), page_spec, options)
            for checked in bad:
                click.echo(f"ocrkit: error: {checked.error} (not read; the others are)", err=True)
        else:
            jobs = prepare(list(paths), page_spec)
        targets = _targets([j.source for j in jobs], output, fmt)
    except ValidationError as exc:
        raise Fail(describe(exc)) from None
    except OcrError as exc:
        raise Fail(str(exc)) from None

    started = time.perf_counter()
    total = sum(len(j.pages) for j in jobs)
    progress = Progress(total, sys.stderr)
    outputs = _Outputs(targets, fmt)
    outputs.failed += [(c.path, [], {c.error or "cannot be read"}) for c in bad]
    try:
        stats, chosen = asyncio.run(_run(jobs, options, allow, progress, outputs))
    except OcrError as exc:
        raise Fail(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("ocrkit: interrupted; finished pages are saved, run again to resume", err=True)
        raise SystemExit(130) from None
    finally:
        outputs.discard()

    _summary(outputs, stats, chosen.name, time.perf_counter() - started)
    if outputs.failed:
        raise SystemExit(1)


class _Outputs:
    """The run's sink: each document's output file written as its pages come, in order,
    and committed when its last page is in; what failed is remembered for the summary."""

    def __init__(self, targets: list[Path | None], fmt: Format) -> None:
        self._targets, self._fmt = iter(targets), fmt
        self._file: OutputFile | None = None
        self.pages = 0
        self.failed: list[tuple[Path, list[int], set[str]]] = []
        self._failed: tuple[list[int], set[str]] = ([], set())  # the current document's

    def add(self, source: Source, page: PageResult) -> None:
        if self._file is None:
            self._file = OutputFile(source, self._fmt, next(self._targets))
            self._failed = ([], set())
        self._file.add(page)
        self.pages += 1
        if not page.ok:
            self._failed[0].append(page.page)
            self._failed[1].add(page.error or "failed")

    def done(self, source: Source) -> None:
        assert self._file is not None
        self._file.commit()
        if self._file.target is not None:
            click.echo(f"ocrkit: wrote {self._file.target}", err=True)
        self._file = None
        if self._failed[0]:
            self.failed.append((source.path, *self._failed))

    def discard(self) -> None:
        """A document cut short (an interrupted run) leaves its output as it was."""
        if self._file is not None:
            self._file.discard()
            self._file = None


async def _run(
    jobs: list[Job],
    options: OcrOptions,
    allow: tuple[str, ...],
    progress: Progress,
    outputs: _Outputs,
) -> tuple[Stats, Engine]:
    chosen, reason = await choose_engine(options, allow=allow)
    click.echo(
        f"ocrkit: engine {chosen.name} ({reason}); {progress.total} pages in {len(jobs)} "
        f"document(s), "
        + (
            f"read on the Ray cluster at {options.ray_address}"
            if options.ray_address
            else f"{chosen.concurrency} in flight"
        ),
        err=True,
    )
    with progress:
        stats = await run_jobs(jobs, chosen, options, outputs, progress.page_done)
    return stats, chosen


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


def _summary(outputs: _Outputs, stats: Stats, engine: str, seconds: float) -> None:
    rate = stats.done / seconds if seconds > 0 else 0.0
    click.echo(
        f"ocrkit: {outputs.pages} pages ({stats.resumed} resumed, {stats.done} read: "
        f"{stats.text_layer} from the PDF text layer, {stats.ocr} OCR'd, {stats.failed} "
        "failed) in "
        f"{seconds:.1f} s, {rate:.2f} pages/s, {stats.prompt_tokens} prompt + "
        f"{stats.completion_tokens} completion tokens, engine {engine}",
        err=True,
    )
    for path, pages, errors in outputs.failed:
        which = f"pages {', '.join(map(str, pages))}" if pages else "every page"
        click.echo(f"ocrkit: FAILED {path}: {which}: {'; '.join(errors)}", err=True)
