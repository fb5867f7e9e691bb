"""Structure on the structure corpus (harness/structure_corpus.py): ocrkit's default run
(and with `--layout off`, as the embedded default runs without the layout extra) beside
`pdftotext`, `pdftotext -layout` and OCRmyPDF + Tesseract (Debian) on the same pages, born
digital and scanned, scored per rule kind (text present, furniture absent, reading order,
table cells beside their neighbours).

    .venv/bin/python -m bench.structure

Needs Tesseract, poppler and Debian's ocrmypdf (scripts/setup-dev.sh). Prints the table
(ocrkit's peak RSS with it) and the layout stage's seconds a page (the model
OCRKIT_LAYOUT_MODEL names, else the bundled CDLA one) on the corpus's pages at the size
GLM-OCR's element-level mode sends; writes bench/results/structure.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import measure_ocrkit, write_result
from harness import structure_corpus as corpus
from harness.structure_rules import score

KINDS = ("present", "absent", "order", "table")


def pdftotext_pages(path: Path, *layout: str) -> dict[int, str]:
    pages = {}
    for n in range(1, corpus.PAGES + 1):
        out = subprocess.run(
            ["pdftotext", *layout, "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        )
        pages[n] = out.stdout
    return pages


PEAK_MB: dict[str, float] = {}


def ocrkit_pages(path: Path, work: Path, *extra: str) -> dict[int, str]:
    out = work / f"{path.stem}{''.join(extra)}.json"
    env = {"PATH": os.environ["PATH"], "OCRKIT_CACHE_DIR": str(work / "cache")}
    args = [str(path), "--engine", "tesseract", "--format", "json", "-o", str(out), *extra]
    PEAK_MB[path.stem], _ = measure_ocrkit(args, env, work / f"{path.stem}.log")
    return {p["page"]: p["text"] for p in json.loads(out.read_text())["pages"]}


def layout_seconds(path: Path) -> dict[str, object]:
    """The layout stage on each page as GLM-OCR's element-level mode sees it."""
    from ocrkit.layout import LayoutDetector
    from ocrkit.model.images import fit_size
    from ocrkit.model.profiles import load_profile

    budget = load_profile("glm-ocr").client.max_pixels
    started = time.perf_counter()
    detector = LayoutDetector()
    load = time.perf_counter() - started
    seconds = []
    for n in range(1, corpus.PAGES + 1):
        image = corpus.page_image(path, n, dpi=200)
        image = image.resize(fit_size(image.size, budget))
        started = time.perf_counter()
        detector.regions(image)
        seconds.append(time.perf_counter() - started)
    return {
        "model": detector.name,
        "image": list(image.size),
        "load_seconds": round(load, 2),
        "page_seconds": [round(s, 3) for s in seconds],
        "mean_seconds": round(sum(seconds) / len(seconds), 3),
        "max_seconds": round(max(seconds), 3),
    }


def ocrmypdf_pages(path: Path, work: Path) -> dict[int, str]:
    out = work / f"{path.stem}.ocrmypdf.pdf"
    subprocess.run(
        [
            "ocrmypdf",
            "-q",
            "-l",
            "rus+eng",
            "--skip-text",
            "--output-type",
            "pdf",
            str(path),
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return pdftotext_pages(out)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-structure-"))
    documents = {
        "born digital": corpus.build(work / "born.pdf"),
        "scanned": corpus.scan(work / "scan.pdf"),
    }
    tools: dict[str, Callable[[Path], dict[int, str]]] = {
        "ocrkit (default)": lambda p: ocrkit_pages(p, work),
        # As the embedded default runs (scripts/setup.sh installs no layout extra).
        "ocrkit --layout off": lambda p: ocrkit_pages(p, work, "--layout", "off"),
        "pdftotext": pdftotext_pages,
        "pdftotext -layout": lambda p: pdftotext_pages(p, "-layout"),
        "OCRmyPDF + Tesseract": lambda p: ocrmypdf_pages(p, work),
    }
    rules = corpus.rules()
    results: dict[str, dict[str, dict]] = {}
    head = " ".join(f"{k:>9s}" for k in KINDS)
    print(f"{'document':13s} {'tool':22s} {head}  seconds  peak MB")
    for doc, path in documents.items():
        for tool, read in tools.items():
            started = time.perf_counter()
            pages = read(path)
            seconds = time.perf_counter() - started
            scored = score(rules, pages)
            peak = PEAK_MB.pop(path.stem, None) if tool.startswith("ocrkit") else None
            results.setdefault(doc, {})[tool] = {
                **{k: {"passed": p, "total": t} for k, (p, t) in scored.items()},
                "seconds": round(seconds, 2),
                "peak_rss_mb": None if peak is None else round(peak, 1),
            }
            cells = " ".join(f"{scored[k][0]:>4d}/{scored[k][1]:<4d}" for k in KINDS)
            shown = "" if peak is None else f"{peak:8.1f}"
            print(f"{doc:13s} {tool:22s} {cells}  {seconds:6.1f} {shown}")
    layout = layout_seconds(documents["scanned"])
    print(
        f"layout stage ({layout['model']}, {layout['image'][0]}x{layout['image'][1]} pages): "
        f"{layout['mean_seconds']:.2f} s a page on average, {layout['max_seconds']:.2f} s at "
        f"most; {layout['load_seconds']:.2f} s to load"
    )
    write_result("structure", {**results, "layout": layout})


if __name__ == "__main__":
    main()
