"""The gate is fair to formulas: a few glyphs of a math font without a Unicode map do not
send a page of right words to OCR, and those glyphs stay in the text, marked U+FFFD; a body
font without a map still does."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from fpdf import FPDF

import ocrkit
from harness.corpus import PROSE
from harness.fakes import FONT

MATH = "/usr/share/fonts/truetype/dejavu/DejaVuMathTeXGyre.ttf"


def _page_with_formula(path: Path, *, unmapped: str) -> Path:
    pdf = FPDF(format="A4")
    pdf.add_font("body", fname=FONT)
    pdf.add_font("math", fname=MATH)
    pdf.add_page()
    pdf.set_font("body", size=11)
    for para in PROSE * 2:
        pdf.multi_cell(170, 6, para)
        pdf.ln(2)
    pdf.set_font("math", size=11)
    pdf.cell(170, 8, "∑ ∫ ∂", align="C")
    pdf.ln(10)
    pdf.set_font("body", size=11)
    pdf.multi_cell(170, 6, PROSE[0])
    with pikepdf.open(io.BytesIO(bytes(pdf.output()))) as doc:
        for font in doc.pages[0].obj.Resources.Font.values():
            if unmapped in str(font.BaseFont):
                del font["/ToUnicode"]
        doc.save(path)
    return path


def test_a_few_unmapped_math_glyphs_keep_the_page_on_its_text_layer(tmp_path: Path) -> None:
    pdf = _page_with_formula(tmp_path / "formula.pdf", unmapped="Math")
    (page,) = ocrkit.ocr(pdf, route="auto", engine="tesseract", cache_dir=tmp_path).pages
    assert page.source == "text-layer", page.gate
    # The glyphs stand apart, as bullets do: too few to count against the layer.
    assert page.gate is not None and page.gate.measures["broken_chars"] <= 0.01
    assert "Альфа Финанс" in page.text and "\ufffd" in page.text  # the glyphs, marked


def test_a_body_font_without_a_map_still_goes_to_ocr(tmp_path: Path) -> None:
    pdf = _page_with_formula(tmp_path / "body.pdf", unmapped="DejaVuSans")
    (page,) = ocrkit.ocr(pdf, route="text", cache_dir=tmp_path).pages  # the layer as it is
    from ocrkit.pdf.document import PdfFile
    from ocrkit.pdf.gate import judge

    doc = PdfFile(pdf)
    try:
        gate = judge(doc.layer(1))
    finally:
        doc.close()
    assert gate.route == "ocr" and gate.measure in ("broken_chars", "broken_lines"), gate
    assert "Альфа Финанс" not in page.text
