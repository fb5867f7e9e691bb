"""The deployment's figures, on the stack tests/test_compose_e2e.py brings up (real Docker,
the images built from docker/, vLLM's CPU build, tiny models through MODELS_DIR):

    .venv/bin/python -m bench.deployment [--calls 64]

1. image sizes;
2. cold start: images built and nothing running, the time from `docker compose --profile
   cpu up -d` to the first answer of POST /ocr;
3. the adapter container's peak memory (the kernel's cgroup figure) while `--calls`
   concurrent POST /ocr, each an A4 page at 200 dpi, go through it: with the shipped decode
   budget (ADAPTER_DECODE_BUDGET_MB unset: 128), with the budget out of the way (what the
   adapter did before it had one), and with the shipped budget again, each in a new adapter
   container, side by side in one run.

Needs scripts/install-docker.sh (run by the tests). Writes bench/results/deployment.json."""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import time
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

from bench.common import write_result
from harness.compose_stack import (
    PROFILES,
    compose,
    compose_env,
    container,
    docker,
    down,
    wait_healthy,
)

IMAGES = ["ocrkit-serving", "ocrkit-serving-cpu", "ocrkit-adapter", "ocrkit-router"]


def image_sizes() -> dict[str, float]:
    """GB of each image that is built (the e2e test builds them all)."""
    sizes = {}
    for name in IMAGES:
        size = docker("image", "inspect", "-f", "{{.Size}}", f"{name}:latest", check=False)
        if size:
            sizes[name] = round(int(size) / 1e9, 2)
    return sizes


def a4_page_b64() -> str:
    img = Image.new("RGB", (1654, 2339), "white")
    draw = ImageDraw.Draw(img)
    for y in range(100, 2300, 40):
        draw.text((100, y), "Облигации, купон 12,5 %, погашение 2030 " * 3, fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def cold_start(url: str, page: str) -> dict[str, float]:
    down()
    started = time.monotonic()
    compose("--profile", "cpu", "up", "-d")
    up_returned = time.monotonic() - started
    while True:
        try:
            r = httpx.post(url + "/ocr", json={"image": page, "max_tokens": 2}, timeout=300)
            if r.status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    first = time.monotonic() - started
    return {"up_returned_s": round(up_returned, 1), "first_ocr_s": round(first, 1)}


def _memory_files(cid: str) -> tuple[Path, Path | None]:
    """(peak file, reset file or None) of a container's memory cgroup, v1 or v2."""
    v1 = Path(f"/sys/fs/cgroup/memory/docker/{cid}/memory.max_usage_in_bytes")
    if v1.exists():
        return v1, v1
    for v2 in (
        Path(f"/sys/fs/cgroup/docker/{cid}/memory.peak"),
        Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/memory.peak"),
    ):
        if v2.exists():
            return v2, None
    raise FileNotFoundError(f"no memory cgroup found for {cid}")


async def _burst(url: str, page: str, calls: int) -> list[int]:
    async with httpx.AsyncClient(timeout=900) as client:
        body = {"image": page, "max_tokens": 2}
        posts = [client.post(url + "/ocr", json=body) for _ in range(calls)]
        replies = await asyncio.gather(*posts)
    return [r.status_code for r in replies]


def adapter_peak_memory(url: str, adapter: str, page: str, calls: int) -> dict[str, float]:
    cid = docker("inspect", "-f", "{{.Id}}", container(adapter))
    peak, reset = _memory_files(cid)
    usage = peak.with_name("memory.usage_in_bytes" if reset else "memory.current")
    idle_mb = int(usage.read_text()) / 2**20
    if reset:
        reset.write_text("0")
    started = time.monotonic()
    statuses = asyncio.run(_burst(url, page, calls))
    elapsed = time.monotonic() - started
    assert statuses == [200] * calls, statuses
    return {
        "calls": calls,
        "idle_mb": round(idle_mb, 1),
        "peak_mb": round(int(peak.read_text()) / 2**20, 1),
        "burst_s": round(elapsed, 1),
        "peak_is_since": "the burst" if reset else "container start",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=64)
    args = parser.parse_args()
    profile = PROFILES["cpu"]
    page = a4_page_b64()
    compose("--profile", "cpu", "build")
    memory: dict[str, dict[str, float]] = {}
    try:
        sizes = image_sizes()
        start = cold_start(profile.url, page)
        for label, budget in (("budget", ""), ("no budget", "100000"), ("budget again", "")):
            # A new adapter container each time (its environment changed): a fresh peak.
            env = compose_env(ADAPTER_DECODE_BUDGET_MB=budget)
            compose("--profile", "cpu", "up", "-d", "--force-recreate", profile.adapter, env=env)
            wait_healthy(profile.url)
            memory[label] = adapter_peak_memory(profile.url, profile.adapter, page, args.calls)
    finally:
        down()
    print("image sizes (GB):", sizes)
    print(
        f"cold start, --profile cpu: `up -d` returned after {start['up_returned_s']} s, "
        f"first /ocr answer after {start['first_ocr_s']} s"
    )
    for label, m in memory.items():
        print(
            f"adapter ({label}) under {m['calls']} concurrent /ocr (A4 at 200 dpi): idle "
            f"{m['idle_mb']} MB, peak {m['peak_mb']} MB, burst {m['burst_s']} s"
        )
    write_result("deployment", {"image_sizes_gb": sizes, "cold_start": start, "adapter": memory})


if __name__ == "__main__":
    main()
