"""Structure on the structure corpus (harness/structure_corpus.py): ocrkit's default run beside
`pdftotext`, `pdftotext -layout` and OCRmyPDF + Tesseract (Debian) on the same pages, born
digital and scanned, scored per rule kind (text present, furniture absent, reading order,
table cells beside their neighbours).

    .venv/bin/python -m bench.structure

Needs Tesseract, poppler and Debian's ocrmypdf (scripts/setup-dev.sh). Prints the table and
writes bench/results/structure.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import write_result
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


def ocrkit_pages(path: Path, work: Path) -> dict[int, str]:
    out = work / f"{path.stem}.json"
    exe = Path(sys.executable).parent / "ocrkit"
    env = {"PATH": os.environ["PATH"], "OCRKIT_CACHE_DIR": str(work / "cache")}
    subprocess.run(
        [str(exe), str(path), "--engine", "tesseract", "--format", "json", "-o", str(out)],
        check=True,
        capture_output=True,
        env=env,
    )
    return {p["page"]: p["text"] for p in json.loads(out.read_text())["pages"]}


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
        "pdftotext": pdftotext_pages,
        "pdftotext -layout": lambda p: pdftotext_pages(p, "-layout"),
        "OCRmyPDF + Tesseract": lambda p: ocrmypdf_pages(p, work),
    }
    rules = corpus.rules()
    results: dict[str, dict[str, dict]] = {}
    print(f"{'document':13s} {'tool':22s} " + " ".join(f"{k:>9s}" for k in KINDS) + "  seconds")
    for doc, path in documents.items():
        for tool, read in tools.items():
            started = time.perf_counter()
            pages = read(path)
            seconds = time.perf_counter() - started
            scored = score(rules, pages)
            results.setdefault(doc, {})[tool] = {
                **{k: {"passed": p, "total": t} for k, (p, t) in scored.items()},
                "seconds": round(seconds, 2),
            }
            cells = " ".join(f"{scored[k][0]:>4d}/{scored[k][1]:<4d}" for k in KINDS)
            print(f"{doc:13s} {tool:22s} {cells}  {seconds:6.1f}")
    write_result("structure", results)


if __name__ == "__main__":
    main()
