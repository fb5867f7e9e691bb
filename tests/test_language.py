"""Scripts, languages and plausibility in any language (ocrkit.language), and the gate that
uses them: a good text layer in Italian, Arabic or Hebrew is read from the layer; junk is
not, whatever script it imitates."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from harness import corpus
from ocrkit.language import TESSERACT_SCRIPT, languages_of, read_text, script_of
from ocrkit.pdf.document import PdfFile
from ocrkit.pdf.gate import judge, readable
from ocrkit.pdf.text_layer import Box, Line, PageLayer

ITALIAN = (
    "Il presente prospetto informativo descrive le obbligazioni emesse dalla società nel "
    "corso dell'anno. Gli investitori devono leggere con attenzione le condizioni del "
    "prestito, il tasso di interesse e la data di rimborso prima di prendere una decisione."
)
SPANISH = (
    "El informe anual de la empresa presenta los resultados financieros del ejercicio y "
    "la evolución de los ingresos, los gastos y el beneficio neto durante el año."
)
ARABIC = (
    "يقدم هذا التقرير السنوي نتائج الشركة المالية خلال العام الماضي ويعرض الإيرادات "
    "والمصروفات وصافي الربح كما يوضح خطط الإدارة للسنوات القادمة"
)
HEBREW = (
    "הדוח השנתי של החברה מציג את התוצאות הכספיות של השנה האחרונה ואת ההכנסות וההוצאות "
    "והרווח הנקי של החברה וכן את תוכניות ההנהלה לשנים הבאות"
)
GREEK = (
    "Η ετήσια έκθεση της εταιρείας παρουσιάζει τα οικονομικά αποτελέσματα της χρήσης και "
    "την εξέλιξη των εσόδων και των εξόδων κατά τη διάρκεια του έτους."
)
# Russian read by an English OCR model: the invisible layer of an old, wrong OCR run.
LATIN_JUNK = "flpnnoxenue 6 14HCK14E BblCOTbl Oxuqenxo A.B. CMETA AOXOAOB 1'1 PACXOAOB " * 4
# What an OCR run leaves of a page it read sideways: letters one by one.
SIDEWAYS_JUNK = "o N o o o $ o I- N N s cf) s o rf) o l- O) N N I cf) cf) CO r " * 6


@pytest.mark.parametrize(
    ("text", "script", "language"),
    [
        (ITALIAN, "latin", "it"),
        (SPANISH, "latin", "es"),
        (ARABIC, "arabic", "ar"),
        (HEBREW, "hebrew", "he"),
        (GREEK, "greek", "el"),
        (" ".join(corpus.PROSE), "cyrillic", "ru"),
    ],
)
def test_real_prose_reads_as_its_language(text: str, script: str, language: str) -> None:
    reading = read_text(text)
    assert (reading.script, reading.language) == (script, language)
    assert reading.word_rate is not None and reading.word_rate >= 0.3
    assert reading.mixed_words == 0


def test_junk_reads_as_no_language() -> None:
    junk = read_text(LATIN_JUNK)
    assert junk.script == "latin" and junk.word_rate is not None and junk.word_rate < 0.2
    sideways = read_text(SIDEWAYS_JUNK)
    assert sideways.single_letters > sideways.words


def test_look_alikes_are_mixed_words_and_visual_order_is_not() -> None:
    assert read_text("Oблигации серии БО-01").mixed_words == 1  # a Latin O
    assert read_text("مكتباتPython").mixed_words == 0  # Arabic run into Latin


def test_every_script_with_word_lists_has_a_tesseract_model() -> None:
    assert script_of("Ж") == "cyrillic" and script_of("한") == "hangul"
    for script in ("latin", "cyrillic", "greek", "arabic", "hebrew", "hangul"):
        assert languages_of(script), script
        assert script in TESSERACT_SCRIPT, script
    assert languages_of("cyrillic")[0] == "ru" and languages_of("latin")[0] == "en"


def _page(path: Path, text: str, *, invisible: bool = False) -> Path:
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=corpus.FONT)
    pdf.set_font("dejavu", size=12)
    pdf.add_page()
    if invisible:
        pdf.text_mode = "INVISIBLE"
    pdf.set_xy(20, 20)
    pdf.multi_cell(170, 7, text)
    path.write_bytes(bytes(pdf.output()))
    return path


@pytest.mark.parametrize(("text", "language"), [(ITALIAN, "it"), (SPANISH, "es"), (GREEK, "el")])
def test_a_good_layer_in_any_language_is_read_from_the_layer(
    tmp_path: Path, text: str, language: str
) -> None:
    pdf = PdfFile(_page(tmp_path / "page.pdf", text))
    gate = judge(pdf.layer(1))
    pdf.close()
    assert gate.route == "text-layer", gate
    assert gate.language == language


@pytest.mark.parametrize("junk", [LATIN_JUNK, SIDEWAYS_JUNK])
def test_an_invisible_junk_layer_goes_to_ocr(tmp_path: Path, junk: str) -> None:
    pdf = PdfFile(_page(tmp_path / "page.pdf", junk, invisible=True))
    gate = judge(pdf.layer(1))
    pdf.close()
    assert gate.route == "ocr", gate
    assert gate.measure in ("word_rate", "single_letters")


_PROSE = [
    "The board of directors approved the annual report for the year and",
    "the financial statements were audited by an independent firm that has",
    "no other business with the company and its subsidiaries in any of",
    "the countries where the group operates or holds shares of other firms.",
]


def _lines(texts: list[str], left: float, top: float) -> list[Line]:
    return [
        Line(text, Box(left, top + 14 * i, left + 4.5 * len(text), top + 14 * i + 10), False, 0)
        for i, text in enumerate(texts)
    ]


def test_lines_in_a_font_with_no_map_are_ocrd_on_their_own_and_the_rest_read() -> None:
    """A sidebar set in a font with no Unicode map beside good prose (IBM's Redbook cover):
    the prose is read from the layer, the sidebar's region OCR'd as a picture of text is."""
    prose = _lines(_PROSE * 3, 200, 100)
    sidebar = _lines(["\ufffd" * 24, "\ufffd\ufffd \ufffd" * 6, "\ufffd" * 18], 40, 300)
    layer = PageLayer(612, 792, lines=prose + sidebar)
    gate = judge(layer)
    assert gate.route == "text-layer" and gate.measures["garbled_lines"] == pytest.approx(3 / 15)
    ((left, top, right, bottom),) = gate.pictures  # one region round the three lines
    assert all(
        left <= ln.box.left
        and top <= ln.box.top
        and ln.box.right <= right
        and ln.box.bottom <= bottom
        for ln in sidebar
    )
    assert readable(layer).lines == prose


def test_a_page_whose_text_is_mostly_in_a_font_with_no_map_is_ocrd() -> None:
    body = _lines(["\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd\ufffd " * 8] * 20, 50, 80)
    layer = PageLayer(612, 792, lines=_lines(_PROSE[:1], 50, 40) + body)
    gate = judge(layer)
    assert gate.route == "ocr" and gate.pictures == []


def test_accented_letters_mapped_to_punctuation_send_the_page_to_ocr() -> None:
    """A Polish guide whose font maps ą, ę, ś, ł to "!", "%", "$", "#" ("dotycz!ce",
    "wynalazczo$ci", "pó#ce"): most of its words still read as Polish, but a symbol between
    letters says the map is wrong, and the page is OCR'd. An address or a link now and then
    ("nn@promelec.ru") does not."""
    broken = [
        "oraz wszelkie oficjalne publikacje dotycz!ce wynalazczo$ci oraz patenty",
        "W celu wyszukania 'róde# informacji w pierwszej kolejno$ci nale\"y",
        "pozwala na zlokalizowanie dokumentu na pó#ce danej biblioteki i w#a$nie",
        "skorzysta& z katalogów bibliotecznych które zawieraj! informacje",
    ]
    gate = judge(PageLayer(612, 792, lines=_lines(broken * 2, 72, 100)))
    assert gate.route == "ocr" and gate.measure == "symbol_words"
    good = [line.replace("!", "ą").replace("$", "ś").replace("#", "ł") for line in broken[:3]]
    good.append("Kontakt: biblioteka@pw.edu.pl, strona https://www.bg.pw.edu.pl/?q=katalog")
    assert judge(PageLayer(612, 792, lines=_lines(good * 2, 72, 100))).route == "text-layer"
