"""Renders samples/prospectus_ru.txt into samples/prospectus_ru.pdf (two A4 pages, born
digital: a text layer) and samples/prospectus_ru_scan.pdf (the same pages scanned: images
only, no text layer, as a scanner makes them).

    .venv/bin/python samples/make_sample.py [--pages N] [--scan] [OUT.pdf]

The text is ours; the font is DejaVu Sans (Debian fonts-dejavu-core), embedded in the PDF.
`--pages N` repeats the text to make an N-page document (for benchmarks).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pypdfium2 as pdfium
from fpdf import FPDF

HERE = Path(__file__).parent
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def page_texts() -> list[list[str]]:
    lines = (HERE / "prospectus_ru.txt").read_text(encoding="utf-8").splitlines()
    split = lines.index("3. Досрочное погашение")
    return [lines[:split], lines[split:]]


def build(pages: int = 2) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("dejavu", fname=str(FONT))
    pdf.add_font("dejavu", style="B", fname=str(BOLD))
    texts = page_texts()
    for i in range(pages):
        pdf.add_page()
        pdf.set_xy(20, 20)
        for line in texts[i % len(texts)]:
            heading = line.isupper() or line[:2].rstrip(".").isdigit()
            pdf.set_font("dejavu", style="B" if heading else "", size=12)
            pdf.multi_cell(170, 7, line or " ", new_x="LMARGIN", new_y="NEXT")
            pdf.set_x(20)
        pdf.set_font("dejavu", size=9)
        pdf.set_xy(20, 280)
        pdf.cell(170, 5, f"Страница {i + 1}", align="C")
    return pdf


def scanned(pages: int = 2, dpi: int = 150) -> bytes:
    """The born-digital pages printed and scanned: each page one grey JPEG image at `dpi`,
    no text layer. Only the first two pages are rendered; the rest repeat them."""
    doc = pdfium.PdfDocument(bytes(build(min(pages, 2)).output()))
    scans = []
    for page in doc:
        image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=85)
        scans.append(buf.getvalue())
    doc.close()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    for i in range(pages):
        pdf.add_page()
        pdf.image(io.BytesIO(scans[i % len(scans)]), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?")
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--scan", action="store_true", help="images only, no text layer")
    args = parser.parse_args()
    name = "prospectus_ru_scan.pdf" if args.scan else "prospectus_ru.pdf"
    args.out = args.out or str(HERE / name)
    data = scanned(args.pages) if args.scan else bytes(build(args.pages).output())
    Path(args.out).write_bytes(data)
    print(f"{args.out}: {args.pages} pages, {len(data):,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
