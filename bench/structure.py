"""Structure on real pages nobody here made, side by side with the tools a user would pick
instead, every tool on the same pages in one run, scored by olmOCR-bench's checker per rule
kind (text present, furniture absent, reading order, table cell beside its neighbours), with
cell recall for tables (table rules whose cell is found in some table of the output).

    .venv/bin/python -m bench.structure [--sets realpages,ru,docling] [--tools ocrkit,...]

Sets: `bench/realpages` (ours: provenance and how the rules were written in its README) and
`../shared/realdocs/{ru,docling}` where that folder is there. Tools:
- `ocrkit`: the default run as users run it (`--engine tesseract`, the embedded default's
  engine; `--format md`), one process per PDF, with its peak memory;
- `pdftotext` (poppler), and `ocrmypdf` (Debian's OCRmyPDF, `--skip-text`, then pdftotext);
- `pdfplumber`: `extract_text()` and every `extract_tables()` as a Markdown table;
- `camelot-lattice`, `camelot-network`: pdftotext's text and camelot 2's tables, no hints;
- `pymupdf4llm`: PyMuPDF4LLM's Markdown with its layout models (`pymupdf.layout`).
pdfplumber, camelot and PyMuPDF4LLM (AGPL: a peer here, never a dependency of ocrkit) are
installed into `.venvs/bench-peers` on first use. The checker is the one
`../shared/realdocs/score.sh` installs (olmocr's `bench/tests.py`, with its empty-output
guard); without `../shared`, point OCRKIT_REALDOCS at a copy. Writes
`bench/results/structure.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.common import measure_ocrkit, write_result

REPO = Path(__file__).resolve().parent.parent
REALDOCS = Path(os.environ.get("OCRKIT_REALDOCS", REPO.parent / "shared" / "realdocs"))
SETS = {
    "realpages": REPO / "bench" / "realpages",
    "realpages_ru": REPO / "bench" / "realpages_ru",
    "realpages_intl": REPO / "bench" / "realpages_intl",
    "ru": REALDOCS / "ru",
    "docling": REALDOCS / "docling",
}
PEERS = REPO / ".venvs" / "bench-peers"
# PyMuPDF4LLM 2.0 on PyPI is an empty wheel here; 1.28.2 with pymupdf-layout is its layout
# models' release.
PEER_PACKAGES = ["camelot-py==2.0.0", "pymupdf4llm==1.28.2", "pymupdf-layout", "pdfplumber"]
KINDS = ("present", "absent", "order", "table")

# Each peer as a small program run in the peers' environment: PDF, page, output file.
PEER_SCRIPT = {
    "pdfplumber": """
import sys, pdfplumber
pdf, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def md(rows):
    rows = [[(c or "").replace("\\n", " ").replace("|", "\\\\|") for c in r] for r in rows]
    head, *body = rows
    return "\\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(r) + " |" for r in body])
with pdfplumber.open(pdf) as doc:
    page = doc.pages[n - 1]
    parts = [page.extract_text() or ""] + [md(t) for t in page.extract_tables() if t]
open(out, "w").write("\\n\\n".join(parts))
""",
    "camelot": """
import sys, subprocess, camelot
pdf, n, out, flavor = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
text = subprocess.run(["pdftotext", "-f", n, "-l", n, pdf, "-"], capture_output=True,
                      text=True).stdout
parts = [text]
try:
    for t in camelot.read_pdf(pdf, pages=n, flavor=flavor):
        parts.append(t.df.to_markdown(index=False, tablefmt="github"))
except Exception as exc:  # a page camelot cannot read keeps its text
    print(f"camelot {flavor}: {exc}", file=sys.stderr)
open(out, "w").write("\\n\\n".join(parts))
""",
    "pymupdf4llm": """
import sys, pymupdf.layout, pymupdf4llm  # the layout package first: its models are used
pdf, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
open(out, "w").write(pymupdf4llm.to_markdown(pdf, pages=[n - 1]))
""",
}


def rule_pages(rules: Path) -> dict[str, set[int]]:
    pages: dict[str, set[int]] = defaultdict(set)
    for line in rules.read_text().splitlines():
        if line.strip():
            rule = json.loads(line)
            pages[rule["pdf"]].add(int(rule["page"]))
    return pages


def out_name(pdf: str, page: int) -> str:
    return f"{Path(pdf).stem}_pg{page}_repeat1.md"


def ensure_peers() -> Path:
    python = PEERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    probe = "import camelot, pymupdf.layout, pymupdf4llm, pdfplumber, tabulate"
    if subprocess.run([str(python), "-c", probe], capture_output=True).returncode:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES, "tabulate"], check=True
        )
    return python


def run_ocrkit(pdfs: Path, pages: dict[str, set[int]], out: Path, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    peaks, seconds = [], 0.0
    for pdf, numbers in sorted(pages.items()):
        md = work / f"{Path(pdf).stem}.md"
        spec = ",".join(map(str, sorted(numbers)))
        env = {"PATH": os.environ["PATH"], "OCRKIT_CACHE_DIR": str(work / "cache")}
        args = [str(pdfs / pdf), "--pages", spec, "--engine", "tesseract", "--format", "md"]
        started = time.perf_counter()
        peak, _ = measure_ocrkit([*args, "-o", str(md)], env, work / "ocrkit.log")
        seconds += time.perf_counter() - started
        peaks.append(peak)
        for number, text in split_pages(md.read_text()).items():
            (out / out_name(pdf, number)).write_text(text)
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(max(peaks), 1)}


def split_pages(markdown: str) -> dict[int, str]:
    """ocrkit's Markdown of several pages, page by page (its `<!-- page N -->` marks)."""
    pages: dict[int, list[str]] = {}
    current = None
    for line in markdown.splitlines():
        if line.startswith("<!-- page "):
            current = int(line.split()[2])
            pages[current] = []
        elif current is not None:
            pages[current].append(line)
    return {n: "\n".join(lines) for n, lines in pages.items()}


def run_page_tool(tool: str, pdf: Path, page: int, out: Path, peers: Path | None) -> None:
    target = out / out_name(pdf.name, page)
    if tool == "pdftotext":
        cmd = ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), str(target)]
    elif tool == "ocrmypdf":
        ocred = target.with_suffix(".pdf")
        single = target.with_suffix(".in.pdf")
        subprocess.run(["qpdf", "--empty", "--pages", str(pdf), str(page), "--", str(single)])
        subprocess.run(
            # --output-type pdf: no PDF/A conversion through Ghostscript, which can drop a
            # born-digital page's Unicode maps.
            [
                "ocrmypdf",
                "-q",
                "-l",
                "rus+eng",
                "--skip-text",
                "--output-type",
                "pdf",
                str(single),
                str(ocred),
            ],
            capture_output=True,
        )
        cmd = ["pdftotext", str(ocred if ocred.exists() else single), str(target)]
    else:
        assert peers is not None
        name, *extra = tool.split("-")
        script = PEER_SCRIPT[name]
        cmd = [str(peers), "-c", script, str(pdf), str(page), str(target), *extra]
    subprocess.run(cmd, capture_output=True, timeout=600)
    if not target.exists():
        target.write_text("")


def score(rules: Path, root: Path, tools: list[str]) -> dict[str, dict]:
    fails = root / "fails.tsv"
    subprocess.run(
        ["bash", str(REALDOCS / "score.sh"), str(rules), str(root), *tools],
        capture_output=True,
        text=True,
        env={**os.environ, "PERTEST_FAILS": str(fails)},
        check=True,
    )
    results: dict[str, dict] = {t: {k: [0, 0] for k in KINDS} | {"cells": [0, 0]} for t in tools}
    for line in fails.read_text().splitlines():
        tool, _id, kind, verdict, *why = line.split("\t")
        if tool not in results:
            continue
        results[tool][kind][1] += 1
        results[tool][kind][0] += verdict == "pass"
        if kind == "table":
            reason = why[0] if why else ""
            found = verdict == "pass" or reason.startswith("Found cells matching")
            results[tool]["cells"][1] += 1
            results[tool]["cells"][0] += found
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="realpages,realpages_ru,realpages_intl,ru,docling")
    parser.add_argument(
        "--tools",
        default="ocrkit,pdftotext,pdfplumber,camelot-lattice,camelot-network,pymupdf4llm,ocrmypdf",
    )
    args = parser.parse_args()
    tools = args.tools.split(",")
    peers = ensure_peers() if any(t.split("-")[0] in PEER_SCRIPT for t in tools) else None
    work = Path(tempfile.mkdtemp(prefix="bench-structure-"))
    report: dict[str, dict] = {}
    for name in args.sets.split(","):
        folder = SETS[name]
        rules = folder / "rules.jsonl"
        if not rules.exists():
            print(f"{name}: {rules} is not there; skipped")
            continue
        pages = rule_pages(rules)
        root = work / name
        timing: dict[str, dict] = {}
        for tool in tools:
            out = root / tool
            out.mkdir(parents=True)
            started = time.perf_counter()
            if tool == "ocrkit":
                timing[tool] = run_ocrkit(folder / "pdfs", pages, out, work / f"{name}-ocrkit")
            else:
                for pdf, numbers in sorted(pages.items()):
                    for n in sorted(numbers):
                        run_page_tool(tool, folder / "pdfs" / pdf, n, out, peers)
                timing[tool] = {"seconds": round(time.perf_counter() - started, 1)}
        scored = score(rules, root, tools)
        report[name] = {t: scored[t] | timing[t] for t in tools}
        print(f"\n{name} ({sum(map(len, pages.values()))} pages)")
        print(f"{'tool':16s} {'total':>9s} " + " ".join(f"{k:>9s}" for k in (*KINDS, "cells")))
        for tool in tools:
            row = scored[tool]
            passed = sum(row[k][0] for k in KINDS)
            total = sum(row[k][1] for k in KINDS)
            cells = " ".join(f"{row[k][0]:>4d}/{row[k][1]:<4d}" for k in (*KINDS, "cells"))
            print(f"{tool:16s} {passed:>4d}/{total:<4d} {cells}  {timing[tool]['seconds']:6.1f} s")
    write_result("structure", report)


if __name__ == "__main__":
    main()
