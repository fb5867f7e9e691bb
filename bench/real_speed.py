"""Speed on real pages, side by side in one run (issue 26's targets):

    .venv/bin/python -m bench.real_speed [--scans 3]

1. Born-digital: every page of the real documents in bench/documents/pdfs/ (prospectuses,
   a law, annual reports: 121 pages), then the single real pages of ../shared/realdocs and
   bench/realpages*/, each set cut to the pages the gate reads from their text layer (a
   cover that is one picture goes to OCR, and to part 2). Each set is
   one `ocrkit` process with the default route (`--engine tesseract --format md`, an empty
   cache), start-up included, beside `pdftotext` on the same files. Printed: pages/s,
   ocrkit's pages/s once started (its time less that of a one-page run), peak RSS, and
   pages/s with `--route text` (the same, less the pictures of text the default route
   OCRs on their own: their count is printed).
   Target: >= 100 pages/s on 2 cores.
2. Scans: the first N real pages the gate sends to OCR, each as its own `ocrkit --route ocr
   --engine tesseract` process, beside `tesseract` alone on the same page rendered at the
   resolution ocrkit gives it (300 dpi, grey) and the languages ocrkit reads a page with
   first (rus+eng; ocrkit reads again only where the words' script says otherwise).
   Each timed ROUNDS times, taking turns; the medians printed.
   Target: <= 1.5x Tesseract alone.

Writes bench/results/real_speed.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pikepdf

from bench.common import measure_ocrkit, write_result
from harness.servers import REPO
from ocrkit.engines.tesseract import BY_SCRIPT_DEFAULT
from ocrkit.pdf.document import PdfFile
from ocrkit.pdf.gate import judge

ROUNDS = 3  # timings of each scanned page (the median is printed)
DOCUMENTS = REPO / "bench" / "documents" / "pdfs"
SINGLE_PAGES = [
    REPO.parent / "shared" / "realdocs" / "docling" / "pdfs",
    REPO.parent / "shared" / "realdocs" / "ru" / "pdfs",
    REPO / "bench" / "realpages" / "pdfs",
    REPO / "bench" / "realpages_ru" / "pdfs",
    REPO / "bench" / "realpages_intl" / "pdfs",
]


def routes(pdf: Path) -> list[str]:
    doc = PdfFile(pdf)
    try:
        return [judge(doc.layer(n)).route for n in range(1, doc.page_count + 1)]
    finally:
        doc.close()


def pictures(pdf: Path) -> int:
    """Pages whose gate finds pictures to OCR on their own (the default route reads them
    with the engine: Tesseract here)."""
    doc = PdfFile(pdf)
    try:
        return sum(bool(judge(doc.layer(n)).pictures) for n in range(1, doc.page_count + 1))
    finally:
        doc.close()


def born_digital_pages(pdfs: list[Path], out: Path) -> tuple[Path, int, list[tuple[Path, int]]]:
    """`out`: the pages of `pdfs` the gate reads from their layer, in one PDF; their count,
    and the pages it sends to OCR (a cover that is one picture, a scan)."""
    merged = pikepdf.new()
    scans: list[tuple[Path, int]] = []
    for pdf in pdfs:
        with pikepdf.open(pdf) as src:
            for n, route in enumerate(routes(pdf), 1):
                if route == "text-layer":
                    merged.pages.append(src.pages[n - 1])
                else:
                    scans.append((pdf, n))
    count = len(merged.pages)
    merged.save(out)
    return out, count, scans


def ocrkit(pdfs: list[Path], work: Path, *args: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `ocrkit` process over `pdfs`, with an empty cache."""
    cache = Path(tempfile.mkdtemp(dir=work))
    env = {"PATH": os.environ["PATH"], "OCRKIT_CACHE_DIR": str(cache)}
    out = Path(tempfile.mkdtemp(dir=work))
    argv = [*map(str, pdfs), "--engine", "tesseract", "--format", "md", "-o", f"{out}/", *args]
    mb, seconds = measure_ocrkit(argv, env, work / "ocrkit.log")
    return seconds, mb


def pdftotext(pdfs: list[Path]) -> float:
    started = time.perf_counter()
    for pdf in pdfs:
        subprocess.run(["pdftotext", str(pdf), os.devnull], check=True, capture_output=True)
    return time.perf_counter() - started


def born_digital(name: str, pdfs: list[Path], pages: int, work: Path) -> dict:
    one_page = work / "one-page.pdf"
    if not one_page.exists():
        with pikepdf.open(pdfs[0]) as src:
            single = pikepdf.new()
            single.pages.append(src.pages[0])
            single.save(one_page)
    start_up, _ = ocrkit([one_page], work)
    seconds, mb = ocrkit(pdfs, work)
    text_only, _ = ocrkit(pdfs, work, "--route", "text")  # no picture OCR'd on its own
    poppler = pdftotext(pdfs)
    row = {
        "pages": pages,
        "ocrkit_s": round(seconds, 2),
        "ocrkit_pages_per_s": round(pages / seconds, 1),
        "ocrkit_one_page_s": round(start_up, 2),
        "ocrkit_pages_per_s_started": round((pages - 1) / max(seconds - start_up, 1e-6), 1),
        "ocrkit_peak_rss_mb": round(mb, 1),
        "ocrkit_route_text_pages_per_s": round(pages / text_only, 1),
        "pdftotext_s": round(poppler, 2),
        "pdftotext_pages_per_s": round(pages / poppler, 1),
    }
    print(
        f"{name:14s} {pages:4d} pages  ocrkit {row['ocrkit_pages_per_s']:6.1f} pages/s "
        f"({row['ocrkit_pages_per_s_started']:.1f} once started; one page "
        f"{start_up:.2f} s; peak {mb:.0f} MB; --route text "
        f"{row['ocrkit_route_text_pages_per_s']:.1f})"
        f"  pdftotext {row['pdftotext_pages_per_s']:6.1f}"
    )
    return row


def scanned(pages: list[tuple[Path, int]], work: Path) -> list[dict]:
    rows = []
    for pdf, n in pages:
        single = work / f"{pdf.stem}-p{n}.pdf"
        with pikepdf.open(pdf) as src:
            out = pikepdf.new()
            out.pages.append(src.pages[n - 1])
            out.save(single)
        langs = BY_SCRIPT_DEFAULT
        png = work / f"{pdf.stem}-p{n}"
        subprocess.run(
            ["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", str(single), str(png)],
            check=True,
        )
        alone = _tesseract(png, langs, os.environ)
        # Tesseract's OpenMP threads fight over two cores; ocrkit runs it single-threaded.
        # A one-page run lasts seconds, which this machine's noise moves by a fifth: the
        # median of ROUNDS, ocrkit and Tesseract taking turns.
        times: list[float] = []
        one_threads: list[float] = []
        for _ in range(ROUNDS):
            times.append(ocrkit([single], work, "--route", "ocr")[0])
            one_threads.append(_tesseract(png, langs, {**os.environ, "OMP_THREAD_LIMIT": "1"}))
        seconds, one_thread = statistics.median(times), statistics.median(one_threads)
        rows.append(
            {
                "page": f"{pdf.name} p{n}",
                "languages": langs,
                "ocrkit_s": round(seconds, 2),
                "tesseract_s": round(alone, 2),
                "tesseract_one_thread_s": round(one_thread, 2),
                "ratio": round(seconds / alone, 2),
                "ratio_one_thread": round(seconds / one_thread, 2),
                "rounds": ROUNDS,
            }
        )
        print(
            f"{pdf.name} p{n}: ocrkit {seconds:.1f} s; tesseract alone ({langs}) {alone:.1f} s "
            f"({seconds / alone:.2f}x), one thread {one_thread:.1f} s ({seconds / one_thread:.2f}x)"
        )
    return rows


def _tesseract(png: Path, langs: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["tesseract", f"{png}.png", "stdout", "-l", langs, "--dpi", "300"],
        check=True,
        capture_output=True,
        env=env,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=3, help="scanned pages timed (0: none)")
    parser.add_argument("--no-singles", action="store_true", help="whole documents only")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-real-speed-"))
    # Each document keeps its pages together (running heads, tables that go on).
    documents, doc_pages, scans = [], 0, []
    for pdf in sorted(DOCUMENTS.glob("*.pdf")):
        kept, count, ocr = born_digital_pages([pdf], work / pdf.name)
        documents.append(kept)
        doc_pages += count
        scans += ocr
    report = {"documents": born_digital("documents", documents, doc_pages, work)}
    if not args.no_singles:
        singles = [d for f in SINGLE_PAGES if f.exists() for d in sorted(f.glob("*.pdf"))]
        single, single_count, ocr = born_digital_pages(singles, work / "single-pages.pdf")
        scans = ocr + scans
        report["single_pages"] = born_digital("single pages", [single], single_count, work)
        report["single_pages"]["pages_with_pictures_ocrd"] = pictures(single)
        print(f"  of which {pictures(single)} have pictures of text OCR'd on their own")
    report["scans"] = scanned(scans[: args.scans], work)
    write_result("real_speed", report)


if __name__ == "__main__":
    main()
