"""What the benchmarks share: a tiny Qwen2-VL on the CPU vLLM, `vllm bench serve`, results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness.servers import REPO, ManagedServer, build_tiny_model, vllm_bench_argv, vllm_server

RESULTS = REPO / "bench" / "results"
MODEL = "tiny-qwen2-vl"
# How often a timed run's process tree is sampled for its resident memory: a pass over
# /proc takes a few ms, which at 20 ms took a fifth of a core from the run it timed.
SAMPLE_S = 0.05
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def tiny_vllm(work: Path) -> tuple[ManagedServer, Path]:
    """A vLLM (not started) serving a tiny random-weight Qwen2-VL under the real profile,
    and the checkpoint folder (its tokenizer is what `vllm bench serve` needs)."""
    model = build_tiny_model("qwen2-vl", work / "tiny-qwen2-vl")
    server = vllm_server(
        "vllm", work, "qwen2-vl-2b", {"QWEN_MODEL": str(model), "SERVED_MODEL_NAME": MODEL}
    )
    return server, model


def bench_serve(
    url: str,
    tokenizer: Path,
    out: Path,
    *,
    prompts: int,
    output_len: int,
    image: tuple[int, int],
    concurrency: int | None = None,
    input_len: int = 32,
) -> dict[str, Any]:
    """`vllm bench serve`: chat requests with one random `image` (width, height) each, every
    reply exactly `output_len` tokens; all at once unless `concurrency` caps them."""
    args = [
        "--backend",
        "openai-chat",
        "--endpoint",
        "/v1/chat/completions",
        "--base-url",
        url,
        "--model",
        MODEL,
        "--tokenizer",
        str(tokenizer),
        "--dataset-name",
        "random-mm",
        "--num-prompts",
        str(prompts),
        "--random-input-len",
        str(input_len),
        "--random-output-len",
        str(output_len),
        "--random-range-ratio",
        "0",
        "--ignore-eos",
        "--random-mm-base-items-per-request",
        "1",
        "--random-mm-limit-mm-per-prompt",
        '{"image": 1, "video": 0}',
        "--random-mm-bucket-config",
        f"{{({image[1]}, {image[0]}, 1): 1.0}}",
        "--percentile-metrics",
        "ttft,e2el",
        "--metric-percentiles",
        "50,99",
        "--save-result",
        "--result-dir",
        str(out.parent),
        "--result-filename",
        out.name,
        "--seed",
        "0",
    ]
    if concurrency:
        args += ["--max-concurrency", str(concurrency)]
    subprocess.run(vllm_bench_argv(args), check=True, capture_output=True, timeout=1800)
    return json.loads(out.read_text())


def ocrkit_argv(pdf: Path, url: str, *args: str) -> list[str]:
    """`ocrkit PDF` OCR'ing every page through the OpenAI-compatible server at `url`, plus
    `args` (the benchmark documents are born digital: the default route would read them
    from their text layer)."""
    exe = Path(sys.executable).parent / "ocrkit"
    return [str(exe), str(pdf), "--engine", "openai", "--url", url, "--route", "ocr", *args]


# Runs `ocrkit` in this interpreter and reports the process's own peak RSS (VmHWM) at exit.
# wait4's ru_maxrss would not do: Linux carries the parent's resident size at fork into the
# child's figure across exec, so a child of a large benchmark process reads as large.
_PEAK = (
    "import atexit, sys\n"
    "def report():\n"
    "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
    "    sys.stderr.write('\\nOCRKIT_PEAK_KB ' + hwm.split()[1] + '\\n')\n"
    "atexit.register(report)\n"
    "from ocrkit.cli import main\n"
    "main(sys.argv[1:], prog_name='ocrkit')\n"
)


def measure_ocrkit(
    args: list[str], env: dict[str, str], log: Path, cwd: Path | None = None
) -> tuple[float, float]:
    """Runs `ocrkit ARGS...`; its peak RSS in MB and its wall time in seconds. The peak is
    the larger of the process's own high-water mark and the sum over it and every process
    under it (text-layer workers, Tesseract), sampled every SAMPLE_S. stderr goes to `log` (a
    file: a pipe nobody reads fills up and blocks the run)."""
    started = time.perf_counter()
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", _PEAK, *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        tree_kb = 0
        while proc.poll() is None:
            tree_kb = max(tree_kb, _tree_rss_kb(proc.pid))
            time.sleep(SAMPLE_S)
        code = proc.returncode
    seconds = time.perf_counter() - started
    text = log.read_text()
    if code != 0:
        raise RuntimeError(text[-2000:])
    kb = int(text.rsplit("OCRKIT_PEAK_KB ", 1)[1].split()[0])
    return max(kb, tree_kb) / 1024, seconds


def _tree_rss_kb(root: int) -> int:
    """The resident memory of process `root` and all its descendants now, in kB: one read
    of each process's `stat` (its parent and its resident pages), so that sampling steals
    little of the cores the run is timed on."""
    parents: dict[int, int] = {}
    pages: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry.name)
            parents[pid], pages[pid] = int(fields[1]), int(fields[21])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(pages.get(pid, 0) for pid in tree) * _PAGE_KB


def write_result(name: str, data: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2))
