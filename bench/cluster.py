"""Pages on a Ray cluster (`ocrkit --ray`): how the queue scales with the workers, what Ray
costs a page, and the driver's memory on a long job; each beside a local run of the same
pages, in the same run.

    .venv/bin/python -m bench.cluster [--pages 48] [--delay 1.0] [--length 1000 10000]

1. Scaling. A real cluster on this machine (harness/ray_cluster.py): a head and one worker
   node with 4 CPUs. The pages of a born-digital PDF are OCR'd (--route ocr, so each is
   rendered and sent) by an upstream that answers every page after DELAY seconds however
   many are in flight (harness/instant_upstream.py): the queue is measured, not these two
   cores. 1, 2 and 4 pages at a time on the cluster (--ray-cpus-per-page 4, 2, 1: that many
   worker processes busy), and locally with --concurrency 1, 2, 4. Ideal: W / DELAY pages/s.
   Each is also run on 8 pages, and pages/s is (PAGES - 8) / (the difference of the two
   runs' seconds): the queue's rate, without the start-up (connecting, checking the inputs,
   starting the worker processes and their engines), which is reported apart.
2. Ray's overhead per page: the difference of the seconds a page takes, one at a time.
3. The driver's peak RSS on the default route (every page from its text layer, read on the
   workers) for a 1,000- and a 10,000-page PDF, beside the local run's. Target: flat (the
   10,000-page peak at most 1.25x the 1,000-page one, as bench/memory.py asks of a local run).

Writes bench/results/cluster.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import measure_ocrkit, write_result
from bench.memory import long_pdf
from harness.ray_cluster import RayCluster
from harness.servers import REPO, free_port

MODEL = "fixed-delay"


def upstream(delay: float, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [sys.executable, str(REPO / "harness" / "instant_upstream.py"), str(port), MODEL]
    proc = subprocess.Popen([*argv, str(delay)], stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/health", timeout=2)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the fixed-delay upstream did not start")


def run(args: list[str], work: Path, name: str, **env: str) -> tuple[float, float]:
    environ = {**os.environ, "OCRKIT_CACHE_DIR": str(work / f"cache-{name}"), **env}
    return measure_ocrkit(args, environ, work / f"{name}.log")


# The shorter run of each setting: enough pages that every worker process has read one
# (imported ocrkit, started its engine) in both runs.
WARM = 8


def scaling(cluster: RayCluster, work: Path, pages: int, delay: float) -> dict:
    """Each setting run on WARM pages and on `pages` pages: the difference is the pages'
    own time, without the start-up (connecting, checking the inputs, starting the worker
    processes and their engines)."""
    server, url = upstream(delay, work / "upstream.log")
    pdfs = {}
    for n in (WARM, pages):
        pdfs[n] = work / f"queue{n}.pdf"
        long_pdf(n, pdfs[n])
    rows = []
    try:
        for width in (1, 2, 4):
            settings = {
                "ray": (["--ray", cluster.address], {"OCRKIT_RAY_CPUS_PER_PAGE": str(4 / width)}),
                "local": (["--concurrency", str(width)], {}),
            }
            row: dict[str, float] = {"pages_in_flight": width, "ideal_pages_per_s": width / delay}
            for mode, (extra, env) in settings.items():
                seconds = {}
                for n, pdf in pdfs.items():
                    args = [str(pdf), "--engine", "openai", "--url", url, "--model", MODEL]
                    args += ["--route", "ocr", "--no-resume", "--format", "json"]
                    args += ["-o", str(work / "queue.json"), *extra]
                    seconds[n] = run(args, work, f"{mode}{width}-{n}", **env)[1]
                rate = (pages - WARM) / (seconds[pages] - seconds[WARM])
                row[f"{mode}_pages_per_s"] = rate
                row[f"{mode}_start_s"] = seconds[WARM] - WARM / rate
                row[f"{mode}_seconds"] = seconds[pages]
            row["ray_of_ideal"] = row["ray_pages_per_s"] / row["ideal_pages_per_s"]
            rows.append(row)
            print(
                f"{width} in flight: Ray {row['ray_pages_per_s']:.2f} pages/s "
                f"({row['ray_of_ideal']:.0%} of the ideal {width / delay:.2f}; start-up "
                f"{row['ray_start_s']:.1f} s), local {row['local_pages_per_s']:.2f} pages/s "
                f"(start-up {row['local_start_s']:.1f} s)",
                flush=True,
            )
    finally:
        server.kill()
    one = rows[0]
    overhead_ms = (1 / one["ray_pages_per_s"] - 1 / one["local_pages_per_s"]) * 1000
    print(f"Ray's overhead: {overhead_ms:.0f} ms a page (one in flight)")
    speedup = rows[-1]["ray_pages_per_s"] / rows[0]["ray_pages_per_s"]
    print(f"4 in flight / 1 in flight on Ray: {speedup:.2f}x (linear: 4x)")
    return {
        "pages": pages,
        "delay_s": delay,
        "rows": rows,
        "overhead_ms_per_page": overhead_ms,
        "speedup_4_over_1": speedup,
    }


def driver_memory(cluster: RayCluster, work: Path, sizes: list[int]) -> dict:
    runs = []
    for pages in sizes:
        pdf = work / f"long{pages}.pdf"
        long_pdf(pages, pdf)
        args = [str(pdf), "--engine", "tesseract", "-o", str(work / f"long{pages}.md")]
        ray_mb, ray_s = run([*args, "--ray", cluster.address], work, f"ray-long{pages}")
        local_mb, local_s = run(args, work, f"local-long{pages}")
        runs.append(
            {
                "pages": pages,
                "ray_driver_peak_rss_mb": ray_mb,
                "ray_seconds": ray_s,
                "local_peak_rss_mb": local_mb,
                "local_seconds": local_s,
            }
        )
        print(
            f"{pages:6d} text-layer pages: Ray driver peak RSS {ray_mb:6.1f} MB ({ray_s:.0f} s); "
            f"local {local_mb:6.1f} MB ({local_s:.0f} s)",
            flush=True,
        )
    ratio = runs[-1]["ray_driver_peak_rss_mb"] / runs[0]["ray_driver_peak_rss_mb"]
    local_ratio = runs[-1]["local_peak_rss_mb"] / runs[0]["local_peak_rss_mb"]
    print(
        f"{sizes[-1]} / {sizes[0]} pages: Ray driver {ratio:.2f}x, local {local_ratio:.2f}x "
        "peak RSS (target: <= 1.25x)"
    )
    return {"runs": runs, "ratio": ratio, "local_ratio": local_ratio}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=48)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--length", type=int, nargs="*", default=[1000, 10000])
    parsed = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cluster = RayCluster(work / "ray", workers=1, cpus_per_worker=4)
        cluster.start()
        try:
            result = {"scaling": scaling(cluster, work, parsed.pages, parsed.delay)}
            if parsed.length:
                result["driver_memory"] = driver_memory(cluster, work, parsed.length)
        finally:
            cluster.stop()
    write_result("cluster", result)


if __name__ == "__main__":
    main()
