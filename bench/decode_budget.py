"""The adapter's decode budget: peak memory and throughput of bursts of concurrent /ocr calls
of A4 pages, with the shipped budget and with it out of the way, side by side in one run.

    .venv/bin/python -m bench.decode_budget [--calls 64] [--rounds 4]

Two adapter processes (ADAPTER_DECODE_BUDGET_MB unset: 128; and 100000: no budget) in front
of an upstream that answers at once (harness/instant_upstream.py), so the adapter's own work
(decode, check, fit, encode) is all that is timed: the worst case for a budget that makes
calls wait. Bursts alternate between the two (these machines are noisy); each adapter's peak
RSS is its VmHWM after all its bursts. Target: <= 300 MiB at 64 A4 pages, throughput within
noise of no budget. `bench.deployment` measures the same in the container, vLLM behind it.
Writes bench/results/decode_budget.json.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import write_result
from bench.deployment import a4_page_b64
from harness.servers import REPO, ManagedServer, adapter_server, free_port

MODEL = "instant"


def peak_mb(server: ManagedServer) -> float:
    assert server.proc is not None
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    return int(kb) / 1024


async def burst(url: str, page: str, calls: int) -> float:
    async with httpx.AsyncClient(timeout=600) as client:
        body = {"image": page, "max_tokens": 2}
        started = time.perf_counter()
        replies = await asyncio.gather(
            *(client.post(url + "/ocr", json=body) for _ in range(calls))
        )
        seconds = time.perf_counter() - started
    statuses = {r.status_code for r in replies}
    if statuses != {200}:
        raise RuntimeError(f"statuses {statuses}: {replies[0].text[:300]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="bench-budget-"))
    port = free_port()
    upstream = ManagedServer(
        "instant",
        [sys.executable, str(REPO / "harness" / "instant_upstream.py"), str(port), MODEL],
        {},
        port,
        logs,
    )
    env = {"SERVING_PROFILE": "qwen2-vl-2b", "SERVED_MODEL_NAME": MODEL}
    adapters = {
        "budget": adapter_server("budget", logs, {**env, "UPSTREAM_URL": upstream.url}),
        "no budget": adapter_server(
            "no-budget",
            logs,
            {**env, "UPSTREAM_URL": upstream.url, "ADAPTER_DECODE_BUDGET_MB": "100000"},
        ),
    }
    page = a4_page_b64()
    times: dict[str, list[float]] = {name: [] for name in adapters}
    upstream.start()
    try:
        for server in adapters.values():
            server.start()
        idle = {name: peak_mb(server) for name, server in adapters.items()}
        for _ in range(args.rounds):
            for name, server in adapters.items():
                times[name].append(asyncio.run(burst(server.url, page, args.calls)))
        results = {}
        for name, server in adapters.items():
            median = statistics.median(times[name])
            results[name] = {
                "idle_mb": round(idle[name], 1),
                "peak_mb": round(peak_mb(server), 1),
                "burst_s": [round(t, 2) for t in times[name]],
                "median_burst_s": round(median, 2),
                "pages_per_s": round(args.calls / median, 2),
            }
            print(
                f"{name:9s}: peak {results[name]['peak_mb']:6.1f} MB (idle {idle[name]:.1f}), "
                f"{args.calls} A4 pages a burst: median {median:.2f} s, "
                f"{args.calls / median:.1f} pages/s  (bursts {results[name]['burst_s']})"
            )
    finally:
        for server in adapters.values():
            server.kill()
        upstream.kill()
    ratio = results["budget"]["pages_per_s"] / results["no budget"]["pages_per_s"]
    print(f"throughput with the budget: {ratio:.2f}x that without (target: within noise)")
    write_result("decode_budget", {"calls": args.calls, "adapters": results, "ratio": ratio})


if __name__ == "__main__":
    main()
