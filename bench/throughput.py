"""Client throughput against a real vLLM-CPU server, in one run:

    .venv/bin/python -m bench.throughput [--pages 48] [--tokens 16]

1. the server saturated: `vllm bench serve`, random images of the page size ocrkit sends,
   all requests at once;
2. `ocrkit` at its default concurrency on a PDF of as many pages;
3. `ocrkit --concurrency 1`, the old client's one page at a time.
Every request generates exactly --tokens tokens (ignore_eos) so all three do the same work.
Target: ocrkit >= 0.9 of saturated. Writes bench/results/throughput.json.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import bench_serve, ocrkit_argv, tiny_vllm, write_result
from harness.servers import REPO
from ocrkit.model.profiles import load_profile
from ocrkit.pdf.inputs import Input
from ocrkit.pdf.sources import RenderTarget, SourceDocument, check_source
from samples.make_sample import build


def ocrkit(url: str, pdf: Path, concurrency: int | None, configs: Path, work: Path) -> float:
    argv = ocrkit_argv(
        pdf, url, "--profile", "bench-qwen", "-o", str(work / "out.md"), "--no-resume"
    )
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    env = {
        **os.environ,
        "OCRKIT_CONFIGS": str(configs),
        "OCRKIT_QUALITY_RETRIES": "0",
        "OCRKIT_CACHE_DIR": str(work / "cache"),
    }
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    pages = int(re.search(r"ocrkit: (\d+) pages", proc.stderr).group(1))
    return pages / elapsed  # wall clock, start-up included


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=48)
    parser.add_argument("--tokens", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    pdf = work / "doc.pdf"
    pdf.write_bytes(bytes(build(args.pages).output()))
    profile = load_profile("qwen2-vl-2b")
    page = SourceDocument(check_source(Input(pdf, "pdf"))).render(
        1, RenderTarget(max_pixels=profile.client.max_pixels, dpi=200)
    )
    size = (page.width, page.height)
    # The same profile, but every reply runs to max_tokens, like --ignore-eos above.
    configs = work / "configs"
    configs.mkdir()
    text = (REPO / "configs" / "qwen2-vl-2b.toml").read_text(encoding="utf-8")
    text = text.replace("max_tokens = 2048", f"max_tokens = {args.tokens}")
    (configs / "bench-qwen.toml").write_text(
        text + "\n[client.extra_body]\nignore_eos = true\n", encoding="utf-8"
    )

    server, tokenizer = tiny_vllm(work)
    server.start()
    load = {"output_len": args.tokens, "image": size, "input_len": 40}
    try:
        bench_serve(server.url, tokenizer, work / "warmup.json", prompts=8, **load)
        sat = bench_serve(
            server.url, tokenizer, work / "saturated.json", prompts=args.pages, **load
        )["request_throughput"]
        default = ocrkit(server.url, pdf, None, configs, work)
        serial = ocrkit(server.url, pdf, 1, configs, work)
    finally:
        server.stop()
    result = {
        "pages": args.pages,
        "tokens": args.tokens,
        "page_size": list(size),
        "saturated_pages_per_s": sat,
        "ocrkit_default_pages_per_s": default,
        "ocrkit_one_at_a_time_pages_per_s": serial,
        "ratio": default / sat,
        "one_at_a_time_ratio": serial / sat,
    }
    print(f"pages {args.pages} of {size[0]}x{size[1]}, {args.tokens} tokens each")
    print(f"server saturated (vllm bench serve)  {sat:6.2f} pages/s")
    print(
        f"ocrkit, default concurrency          {default:6.2f} pages/s  "
        f"ratio {result['ratio']:.2f} (target >= 0.9)"
    )
    print(
        f"ocrkit --concurrency 1 (old client)  {serial:6.2f} pages/s  "
        f"ratio {result['one_at_a_time_ratio']:.2f}"
    )
    write_result("throughput", result)


if __name__ == "__main__":
    main()
