"""The text-layer routing corpus: PDF pages made by code, each with the route it must take
and, for the pages read from their text layer, the text they must give.

Every case is one page; `mixed()` puts all of them in one file. Scans are real renderings
of a born-digital page (PDFium at 150 dpi, grey, a little noise), so Tesseract can read them.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

PROSE = [
    "Общество с ограниченной ответственностью «Альфа Финанс» размещает биржевые облигации "
    "серии 001Р-02 номинальной стоимостью 1 000 рублей каждая.",
    "Купонный доход выплачивается ежеквартально, ставка первого купона составляет 14,25% "
    "годовых, дата погашения 15 марта 2029 года.",
    "The issuer may redeem the bonds early on any coupon date, after notice to the holders "
    "and to the exchange.",
]
TABLE = [
    ["Показатель", "2023", "2024"],
    ["Выручка, млн руб.", "15 310", "18 452"],
    ["Чистая прибыль, млн руб.", "1 904", "2 317"],
    ["Net debt / EBITDA", "2,4", "2,1"],
]
EXHIBIT = [
    "ПРИЛОЖЕНИЕ 1. Копия решения",
    "о выпуске ценных бумаг",
    "Совет директоров постановил",
    "утвердить условия выпуска.",
]
# What Tesseract's English model makes of Russian: the invisible layer of an old, wrong OCR.
GARBAGE = [
    "O6LyecTBo c OrpaHnueHHON OTBeTCTBeEHHOCTbIO «AnbcpPa PuHaHc» pa3smewaeT",
    "6upxeBble oO6nuraunun cepun 001P-02 HOMUHaNbHON CTOMMOCTbIO 1 000 py6neN",
    "KynoHHbIN AoxoA BbINnaynBaeTcaA exkeKBapTasIbHO, cTaBKa NepBoro KynoHa",
    "coctaBnaeT 14,25% rofoBbIX, AaTa norauweHna 15 MapTa 2029 roga.",
]


@dataclass(frozen=True)
class Case:
    name: str
    route: str  # "text-layer" or "ocr"
    draw: Callable[[FPDF], None]
    text: str | None = None  # the exact text expected from the text layer (normalised)
    font_map: str | None = None  # "drop" or "shift": the page's ToUnicode maps broken


def normalise(text: str) -> str:
    return " ".join(text.split())


def untabled(text: str) -> str:
    """Markdown table rows (how a ruled table on a text-layer page comes out) back to plain
    lines of cells: the same words, cell by cell."""
    return re.sub(r"(?m)^\|(---\|)+$", "", text).replace("|", " ")


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=12)
    return pdf


def _born_digital(pdf: FPDF) -> None:
    pdf.add_page()
    _content(pdf)


def _content(pdf: FPDF) -> None:
    pdf.set_xy(20, 20)
    for para in PROSE:
        pdf.multi_cell(170, 7, para, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_x(20)
    with pdf.table(
        col_widths=(90, 40, 40), text_align=("LEFT", "RIGHT", "RIGHT"), first_row_as_headings=False
    ) as table:
        for row in TABLE:
            cells = table.row()
            for cell in row:
                cells.cell(cell)


def born_digital_text() -> str:
    return normalise(" ".join(PROSE + [c for row in TABLE for c in row]))


def _scan_of(draw: Callable[[FPDF], None], *, dpi: int = 150, seed: int = 1) -> Image.Image:
    """A page drawn by `draw`, printed and scanned: rendered grey with a little noise."""
    pdf = _pdf()
    draw(pdf)
    doc = pdfium.PdfDocument(bytes(pdf.output()))
    image = doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    doc.close()
    rng = random.Random(seed)
    pixels = image.load()
    assert pixels is not None
    for _ in range(image.width * image.height // 200):
        x, y = rng.randrange(image.width), rng.randrange(image.height)
        pixels[x, y] = rng.choice((0, 255))
    return image


def _png(image: Image.Image) -> io.BytesIO:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    buf.seek(0)
    return buf


def _scanned(pdf: FPDF) -> None:
    pdf.add_page()
    pdf.image(_png(_scan_of(_born_digital)), x=0, y=0, w=210, h=297)


def _invisible_lines(pdf: FPDF, lines: list[str]) -> None:
    pdf.text_mode = "INVISIBLE"
    pdf.set_xy(20, 20)
    for line in lines:
        pdf.cell(170, 7, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(20)
    pdf.text_mode = "FILL"


def _scan_with_garbage_layer(pdf: FPDF) -> None:
    _scanned(pdf)
    _invisible_lines(pdf, GARBAGE * 2)


def _scan_with_good_layer(pdf: FPDF) -> None:
    """A scan with a correct OCR layer over it, word for word where the scan has them."""
    _scanned(pdf)
    pdf.text_mode = "INVISIBLE"
    _content(pdf)
    pdf.text_mode = "FILL"


def _with_exhibit(pdf: FPDF) -> None:
    pdf.add_page()
    pdf.set_xy(20, 20)
    pdf.multi_cell(170, 7, PROSE[0], new_x="LMARGIN", new_y="NEXT")

    def exhibit(p: FPDF) -> None:
        p.add_page()
        p.set_font("dejavu", size=22)
        p.set_xy(10, 10)
        for line in EXHIBIT:
            p.cell(190, 14, line, new_x="LMARGIN", new_y="NEXT")

    scan = _scan_of(exhibit, seed=2).crop((0, 0, 1240, 480))
    pdf.image(_png(scan), x=20, y=60, w=170)


def _empty(pdf: FPDF) -> None:
    pdf.add_page()


CASES = [
    Case("born-digital", "text-layer", _born_digital, born_digital_text()),
    Case("font-without-unicode-map", "ocr", _born_digital, font_map="drop"),
    Case("font-mapped-to-wrong-letters", "ocr", _born_digital, font_map="shift"),
    Case("scanned", "ocr", _scanned),
    Case("scan-with-garbage-layer", "ocr", _scan_with_garbage_layer),
    # A previous OCR layer that reads as real Russian passes the stricter bar: reading it
    # costs milliseconds, where OCR costs seconds; --route ocr redoes it.
    Case("scan-with-good-layer", "text-layer", _scan_with_good_layer, born_digital_text()),
    # A good layer beside a picture of text: the layer is read, the picture OCR'd alone.
    Case("born-digital-with-exhibit", "text-layer", _with_exhibit),
    Case("empty", "text-layer", _empty, ""),
]


def write(path: Path, cases: list[Case]) -> Path:
    """One page per case, in order, with the font maps the cases break broken (pikepdf)."""
    pdf = _pdf()
    for case in cases:
        case.draw(pdf)
    data = bytes(pdf.output())
    broken = {i: case.font_map for i, case in enumerate(cases) if case.font_map}
    if broken:
        data = _break_font_maps(data, broken)
    path.write_bytes(data)
    return path


def case_pdf(folder: Path, case: Case) -> Path:
    return write(folder / f"{case.name}.pdf", [case])


def mixed(path: Path) -> Path:
    return write(path, CASES)


def _break_font_maps(data: bytes, pages: dict[int, str]) -> bytes:
    """Takes the ToUnicode map from the fonts of some pages ("drop"), or replaces it with one
    that moves every letter to a wrong one ("shift"), as broken PDF producers do: the page
    still looks right, its text is garbage."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for index, how in pages.items():
            page = pdf.pages[index]
            # Resources and fonts of its own for this page, so that the others keep theirs.
            resources = pikepdf.Dictionary(dict(page.obj.Resources.items()))
            fonts = pikepdf.Dictionary(dict(resources.Font.items()))
            for name, font in list(fonts.items()):
                copy = pikepdf.Dictionary(dict(font.items()))
                if how == "drop":
                    del copy["/ToUnicode"]
                else:
                    cmap = font.ToUnicode.read_bytes().decode("latin-1")
                    copy.ToUnicode = pdf.make_stream(_shift(cmap).encode("latin-1"))
                fonts[name] = pdf.make_indirect(copy)
            resources.Font = fonts
            page.obj.Resources = pdf.make_indirect(resources)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _shift(cmap: str) -> str:
    """Every mapped code point moved by 7 within its alphabet: Cyrillic stays Cyrillic and
    Latin stays Latin, so only the language check can see that the words are wrong."""

    def moved(match: re.Match[str]) -> str:
        cp = int(match.group(1), 16)
        for lo, hi in ((0x0410, 0x044F), (0x0041, 0x005A), (0x0061, 0x007A)):
            if lo <= cp <= hi:
                cp = lo + (cp - lo + 7) % (hi - lo + 1)
        return f"<{cp:04X}>"

    head, sep, body = cmap.partition("beginbfchar")
    return head + sep + re.sub(r"(?<=> )<([0-9A-Fa-f]{4})>", moved, body)
