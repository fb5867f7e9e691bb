"""What the adapter costs: the same `vllm bench serve` load at vLLM directly and through the
adapter's /v1, side by side in one run, plus the /ocr translation cost for an A4 page.

    .venv/bin/python -m bench.adapter_overhead [--prompts 200] [--concurrency 8] [--rounds 2]

Starts a tiny Qwen2-VL on the CPU vLLM and an adapter in front of it, then alternates
direct / adapter runs (`--rounds` each; these machines are noisy) and compares medians.
Targets: throughput >= 0.95 of direct, <= 3 ms added p50 latency. Writes
bench/results/adapter_overhead.json.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import MODEL, bench_serve, tiny_vllm, write_result
from harness.images import page_png
from harness.servers import adapter_server
from ocrkit import load_profile
from ocrkit.model.images import decode_base64, load_image
from ocrkit.model.request import build_chat_request

IMAGE = (448, 448)


def translation_cost(repeats: int = 20) -> dict:
    """decode + check + resize + encode + request build for an A4 page at 200 dpi, the
    work /ocr adds before anything goes upstream."""
    profile = load_profile("qwen2-vl-2b")
    payload = base64.b64encode(page_png(1654, 2339, "Проспект эмиссии облигаций")).decode()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        page = load_image(decode_base64(payload), max_pixels=profile.client.max_pixels)
        build_chat_request(profile, page.data_uri(), model=MODEL)
        times.append(time.perf_counter() - started)
    return {
        "page_px": [1654, 2339],
        "fitted_px": [page.width, page.height],
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--output-len", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-adapter-"))
    vllm, tokenizer = tiny_vllm(work)
    vllm.start()
    adapter = adapter_server(
        "adapter", work, {"UPSTREAM_URL": vllm.url, "SERVED_MODEL_NAME": MODEL}
    )
    adapter.start()
    load = {"output_len": args.output_len, "image": IMAGE, "concurrency": args.concurrency}
    runs: dict[str, list[dict]] = {"direct": [], "adapter": []}
    try:
        bench_serve(vllm.url, tokenizer, work / "warmup.json", prompts=16, **load)
        for i in range(args.rounds):
            for name, server in (("direct", vllm), ("adapter", adapter)):
                result = bench_serve(
                    server.url, tokenizer, work / f"{name}-{i}.json", prompts=args.prompts, **load
                )
                runs[name].append(result)
                print(
                    f"round {i} {name:8s} {result['request_throughput']:.2f} req/s  "
                    f"p50 {result['median_e2el_ms']:.1f} ms  p99 {result['p99_e2el_ms']:.1f} ms"
                )
    finally:
        adapter.stop()
        vllm.stop()

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    summary = {
        "direct_req_per_s": med("direct", "request_throughput"),
        "adapter_req_per_s": med("adapter", "request_throughput"),
        "throughput_ratio": med("adapter", "request_throughput")
        / med("direct", "request_throughput"),
        "added_p50_ms": med("adapter", "median_e2el_ms") - med("direct", "median_e2el_ms"),
        "added_p99_ms": med("adapter", "p99_e2el_ms") - med("direct", "p99_e2el_ms"),
        "added_ttft_p50_ms": med("adapter", "median_ttft_ms") - med("direct", "median_ttft_ms"),
        "ocr_translation": translation_cost(),
        "load": {
            "prompts": args.prompts,
            "concurrency": args.concurrency,
            "output_len": args.output_len,
            "image": "448x448 random",
            "rounds": args.rounds,
        },
    }
    print(f"throughput ratio (adapter/direct): {summary['throughput_ratio']:.3f}  (target >= 0.95)")
    print(
        f"added latency: p50 {summary['added_p50_ms']:+.2f} ms (target <= 3), "
        f"p99 {summary['added_p99_ms']:+.2f} ms, TTFT p50 {summary['added_ttft_p50_ms']:+.2f} ms"
    )
    t = summary["ocr_translation"]
    print(
        f"/ocr translation, A4 at 200 dpi {t['page_px']} -> {t['fitted_px']}: "
        f"median {t['median_ms']:.1f} ms"
    )
    write_result("adapter_overhead", summary)


if __name__ == "__main__":
    main()
