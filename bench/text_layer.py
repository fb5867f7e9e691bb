"""Born-digital first: the default route against OCR of every page, with Tesseract on this
machine's CPUs, on a born-digital PDF; routing accuracy on the test corpus; peak memory.

    .venv/bin/python -m bench.text_layer [--pages 300] [--memory-sizes 300 3000]

1. Speed: `ocrkit doc.pdf --engine tesseract` (the default route, auto) and the same with
   `--route ocr`, each with an empty cache, timed as whole processes (start-up included).
   Target: the default route >= 100x faster (issue 19: >= 50x with tables and furniture),
   and with `--keep-furniture` each page's text identical to its text layer as
   `ocrkit.pdf.document.PdfFile.layer(n).text` reads it (the sample has no tables; the
   default run takes its page numbers out).
2. Routing accuracy: every page of the corpus (harness/corpus.py) routed as its case says.
3. Peak memory (the process's VmHWM) of the default route on a short and a long document:
   no growth with length.

Writes bench/results/text_layer.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from bench.common import measure_ocrkit, write_result
from harness import corpus
from ocrkit.pdf.document import PdfFile
from ocrkit.pdf.gate import judge
from samples.make_sample import build

OCRKIT = Path(sys.executable).parent / "ocrkit"


def timed_run(pdf: Path, out: Path, cache: Path, *args: str) -> tuple[float, float, list[dict]]:
    """Wall seconds and peak RSS (MB) of one `ocrkit` process, and the pages it wrote."""
    argv = [str(OCRKIT), str(pdf), "--engine", "tesseract", "--format", "json", "-o", str(out)]
    env = {"PATH": os.environ["PATH"], "OCRKIT_CACHE_DIR": str(cache)}
    mb, seconds = measure_ocrkit([*argv[1:], *args], env, out.with_suffix(".log"))
    return seconds, mb, json.loads(out.read_text())["pages"]


def layer_texts(pdf: Path) -> list[str]:
    doc = PdfFile(pdf)
    try:
        return [doc.layer(n).text for n in range(1, doc.page_count + 1)]
    finally:
        doc.close()


def routing(work: Path) -> dict:
    pdf = PdfFile(corpus.mixed(work / "corpus.pdf"))
    try:
        rows = []
        for n, case in enumerate(corpus.CASES, 1):
            gate = judge(pdf.layer(n))
            rows.append(
                {
                    "case": case.name,
                    "expected": case.route,
                    "routed": gate.route,
                    "reason": gate.reason,
                    "measure": gate.measure,
                    "value": gate.value,
                    "threshold": gate.threshold,
                }
            )
    finally:
        pdf.close()
    return {
        "cases": rows,
        "correct": sum(r["expected"] == r["routed"] for r in rows),
        "total": len(rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--memory-sizes", type=int, nargs=2, default=[300, 3000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-text-layer-"))

    pdf = work / f"born-digital{args.pages}.pdf"
    pdf.write_bytes(bytes(build(args.pages).output()))
    auto_s, auto_mb, auto_pages = timed_run(pdf, work / "auto.json", work / "cache-auto")
    ocr_s, ocr_mb, ocr_pages = timed_run(
        pdf, work / "ocr.json", work / "cache-ocr", "--route", "ocr"
    )
    _, _, kept_pages = timed_run(pdf, work / "kept.json", work / "cache-kept", "--keep-furniture")
    expected = layer_texts(pdf)
    identical = sum(p["text"] == t for p, t in zip(kept_pages, expected, strict=True))
    routed_text = sum(p["source"] == "text-layer" for p in auto_pages)
    speed = {
        "pages": args.pages,
        "cpus": os.cpu_count(),
        "default_route_s": round(auto_s, 2),
        "ocr_every_page_s": round(ocr_s, 2),
        "speedup": round(ocr_s / auto_s, 1),
        "pages_from_text_layer": routed_text,
        "pages_identical_to_text_layer": identical,
        "ocr_pages": sum(p["source"] == "ocr" for p in ocr_pages),
    }
    print(
        f"speed ({args.pages} born-digital pages, Tesseract, {os.cpu_count()} CPUs): "
        f"default route {auto_s:.1f} s, OCR of every page {ocr_s:.1f} s: "
        f"{ocr_s / auto_s:.0f}x faster; {routed_text} pages from the text layer, "
        f"{identical}/{args.pages} identical to it (with --keep-furniture)"
    )

    accuracy = routing(work)
    print(f"routing: {accuracy['correct']}/{accuracy['total']} corpus pages routed as expected")
    for row in accuracy["cases"]:
        print(f"  {row['case']:<30} {row['routed']:<10} ({row['reason']})")

    memory = []
    for pages in args.memory_sizes:
        doc = work / f"mem{pages}.pdf"
        doc.write_bytes(bytes(build(pages).output()))
        seconds, mb, _ = timed_run(doc, work / f"mem{pages}.json", work / f"cache-mem{pages}")
        memory.append({"pages": pages, "peak_rss_mb": round(mb, 1), "seconds": round(seconds, 2)})
        print(f"memory: {pages} pages, default route: peak RSS {mb:.0f} MB in {seconds:.1f} s")
    speed["peak_rss_mb"] = {"default_route": round(auto_mb, 1), "ocr_every_page": round(ocr_mb, 1)}
    write_result("text_layer", {"speed": speed, "routing": accuracy, "memory": memory})


if __name__ == "__main__":
    main()
