"""Renders samples/prospectus_ru.txt into samples/prospectus_ru.pdf (two A4 pages).

    .venv/bin/python samples/make_sample.py [--pages N] [OUT.pdf]

The text is ours; the font is DejaVu Sans (Debian fonts-dejavu-core), embedded in the PDF.
`--pages N` repeats the text to make an N-page document (for benchmarks).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=str(HERE / "prospectus_ru.pdf"))
    parser.add_argument("--pages", type=int, default=2)
    args = parser.parse_args()
    data = bytes(build(args.pages).output())
    Path(args.out).write_bytes(data)
    print(f"{args.out}: {args.pages} pages, {len(data):,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
