"""Element-level mode (GLM-OCR, PaddleOCR-VL): the layout stage's regions are cropped and
read one by one with their role's task prompt, in parallel, and the page is assembled in
reading order as blocks. A fake model engine answers here (what it was asked is recorded);
tests/test_compose_e2e.py runs the same path against the tiny models in real vLLM."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from harness import structure_corpus as corpus
from harness.layout_models import standin_v3
from ocrkit.engines.base import ModelEngine
from ocrkit.engines.openai_api import OpenAIEngine
from ocrkit.errors import EngineUnavailable
from ocrkit.layout import LayoutMissing, Region
from ocrkit.model.elements import without_nested
from ocrkit.model.images import PageImage, encode
from ocrkit.model.reply import ChatReply
from ocrkit.model.transport import ServerClient
from ocrkit.options import OcrOptions

CAPTION = "Таблица 1. Баланс\n\n"
TABLE = (
    "<table><tr><td>Статья</td><td>2025</td></tr>"
    "<tr><td>Выручка</td><td>1 234 567</td></tr></table>"
)


class Recording(ModelEngine):
    """A model engine whose `ask` answers from the prompt it got, and records each call."""

    name = "fake"

    def __init__(self, options: OcrOptions) -> None:
        super().__init__(options)
        self.asked: list[tuple[str, tuple[int, int]]] = []
        self.in_flight = self.most_in_flight = 0

    async def ask(
        self, image: PageImage, prompt_key: str, temperature: float, prompt: str | None = None
    ) -> ChatReply:
        self.asked.append((prompt_key, (image.width, image.height)))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        Image.open(io.BytesIO(image.data)).verify()  # a real image went out
        text = CAPTION + TABLE if prompt_key == "table" else f"{prompt_key} {len(self.asked)}"
        return ChatReply(text=text, finish_reason="stop", prompt_tokens=10, completion_tokens=3)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus.build(tmp_path_factory.mktemp("elements") / "report.pdf")


def page(report: Path, number: int) -> PageImage:
    return encode(corpus.page_image(report, number, dpi=150))


def run(options: OcrOptions, image: PageImage) -> tuple[Recording, object]:
    async def go() -> tuple[Recording, object]:
        engine = Recording(options)
        await engine.start()
        return engine, await engine.read(image, temperature=0.0)

    return asyncio.run(go())


def test_glm_ocr_reads_each_region_with_its_task_prompt_in_reading_order(report: Path) -> None:
    engine, reply = run(OcrOptions(profile="glm-ocr"), page(report, 5))
    # Title and two columns: three crops, none of them the whole page, sent together.
    assert [key for key, _ in engine.asked] == ["text", "text", "text"]
    assert all(w < 1241 * 0.8 and h < 1754 * 0.5 for _, (w, h) in engine.asked)
    assert engine.most_in_flight == 3
    blocks = reply.blocks
    assert [b.type for b in blocks] == ["header", "title", "text", "text", "footer"]
    body = [b for b in blocks if "order" in b.metadata]
    assert [b.metadata["order"] for b in body] == [0, 1, 2]
    assert blocks[2].bbox.x1 < blocks[3].bbox.x0  # left column, then right
    # Furniture is not sent and not in the text; the title is a heading.
    assert blocks[0].content == "" and blocks[-1].content == ""
    assert reply.text.split("\n\n")[0].startswith("## text")
    assert reply.completion_tokens == 9 and reply.prompt_tokens == 30
    assert reply.image_size == (1241, 1754)


V3_PAGE = [  # a page as PP-DocLayoutV3 labels it, in its order (800x800 model pixels)
    ("header", 0.9, (150, 20, 650, 40), 0),
    ("doc_title", 0.95, (75, 60, 725, 85), 1),
    ("text", 0.9, (75, 100, 390, 400), 2),
    ("display_formula", 0.9, (410, 100, 690, 160), 3),
    ("formula_number", 0.9, (700, 110, 740, 150), 4),
    ("table", 0.9, (75, 420, 725, 600), 5),
    ("image", 0.9, (75, 620, 400, 700), 6),
    ("figure_title", 0.9, (75, 705, 400, 720), 7),
    ("number", 0.8, (380, 760, 420, 780), 8),
]


def test_pp_doclayoutv3_regions_are_read_with_their_prompts_in_its_order(
    report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PP-DocLayoutV3 (the detector GLM-OCR was scored with), supplied as a file: here one of
    # its export's interface that finds V3_PAGE on any page.
    monkeypatch.setenv(
        "OCRKIT_LAYOUT_MODEL", str(standin_v3(tmp_path / "pp_doc_layoutv3.onnx", V3_PAGE))
    )
    engine, reply = run(OcrOptions(profile="glm-ocr"), page(report, 1))
    assert str(engine.cache_settings()["layout"]).startswith("pp_doc_layoutv3.onnx@")
    # Its labels as roles, each role's prompt; the picture and the page number not sent.
    assert sorted(key for key, _ in engine.asked) == sorted(
        ["text", "text", "formula", "formula", "table", "text"]
    )
    body = [b for b in reply.blocks if "order" in b.metadata]
    assert [(b.type, b.metadata.get("label")) for b in body] == [
        ("title", "doc_title"),
        ("text", "text"),
        ("formula", "display_formula"),
        ("formula", "formula_number"),
        ("table", "table"),
        ("caption", "figure_title"),
    ]
    furniture = {b.type for b in reply.blocks if "order" not in b.metadata}
    assert furniture == {"header", "figure", "page_number"}
    # Boxes in the page's pixels (1241 x 1754 at 150 dpi): the table spans the page.
    table = next(b for b in body if b.type == "table")
    assert table.bbox is not None and table.bbox.x1 - table.bbox.x0 > 0.75 * 1241


def test_a_table_region_gets_the_table_prompt_and_becomes_a_table_block(report: Path) -> None:
    engine, reply = run(OcrOptions(profile="paddleocr-vl"), page(report, 1))
    assert "table" in [key for key, _ in engine.asked]
    table = next(b for b in reply.blocks if b.type == "table")
    assert {"row": 1, "col": 1, "text": "1 234 567"}.items() <= table.metadata["cells"][3].items()
    assert "| Выручка | 1 234 567 |" in reply.text
    # The reply as the model wrote it: the caption the crop took in stays.
    assert table.content.startswith("Таблица 1. Баланс")


def test_furniture_is_read_and_kept_inline_with_keep_furniture(report: Path) -> None:
    engine, reply = run(OcrOptions(profile="glm-ocr", keep_furniture=True), page(report, 5))
    assert len(engine.asked) == 5
    assert next(b.type for b in reply.blocks if "order" in b.metadata) == "header"
    assert all(b.content for b in reply.blocks)


def test_page_mode_and_own_prompts_send_the_whole_page(report: Path) -> None:
    image = page(report, 5)
    for options in (
        OcrOptions(profile="glm-ocr", vlm_mode="page"),
        OcrOptions(profile="glm-ocr", prompt_type="table"),
        OcrOptions(profile="qwen2-vl-2b"),
    ):
        engine, _ = run(options, image)
        assert [size for _, size in engine.asked] == [(1241, 1754)], options


def test_a_page_the_layout_finds_nothing_on_is_read_whole() -> None:
    blank = encode(Image.new("RGB", (800, 1100), "white"))
    engine, reply = run(OcrOptions(profile="glm-ocr"), blank)
    assert engine.asked == [("text", (800, 1100))]
    assert reply.text == "text 1"


def test_elements_on_a_profile_without_element_prompts_is_refused() -> None:
    with pytest.raises(EngineUnavailable, match="no element prompts"):
        Recording(OcrOptions(profile="qwen2-vl-2b", vlm_mode="elements"))


def test_the_layout_model_is_part_of_the_resume_key(monkeypatch: pytest.MonkeyPatch) -> None:
    options = OcrOptions(profile="glm-ocr")
    before = Recording(options).cache_settings()
    monkeypatch.setenv("OCRKIT_LAYOUT_MODEL", "/models/pp_doc_layoutv3.onnx")
    after = Recording(options).cache_settings()
    assert before["layout"] != after["layout"] and "pp_doc_layoutv3" in str(after["layout"])
    assert (
        Recording(OcrOptions(profile="glm-ocr", vlm_mode="page")).cache_settings()["layout"] is None
    )


def _server(seen: list[str]) -> httpx.MockTransport:
    """An OpenAI-compatible server that records each request's prompt."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": [{"id": "zai-org/GLM-OCR"}]})
        body = json.loads(request.content)
        seen.append(body["messages"][0]["content"][1]["text"])
        reply = {"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        return httpx.Response(200, json={"model": body["model"], "choices": [reply]})

    return httpx.MockTransport(handle)


def _openai(options: OcrOptions, seen: list[str]) -> OpenAIEngine:
    engine = OpenAIEngine(options)
    engine.client = ServerClient("http://ocr.test/v1", timeout=10, transport=_server(seen))
    return engine


def test_the_users_own_prompt_goes_with_the_whole_page_and_never_with_a_crop(
    report: Path,
) -> None:
    async def go(options: OcrOptions) -> list[str]:
        seen: list[str] = []
        engine = _openai(options, seen)
        await engine.start()
        await engine.read(page(report, 5), temperature=0.0)
        await engine.close()
        return seen

    assert asyncio.run(go(OcrOptions(profile="glm-ocr", prompt="ONLY DIGITS"))) == ["ONLY DIGITS"]
    # Element-level asked for: every crop with its role's prompt, not the user's.
    crops = asyncio.run(go(OcrOptions(profile="glm-ocr", vlm_mode="elements", prompt="X")))
    assert crops == ["Text Recognition:"] * 3


def test_without_the_layout_extra_auto_reads_whole_pages_and_elements_is_refused(
    report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ocrkit.layout

    def missing(*args: object) -> None:
        raise LayoutMissing("the layout stage needs rapid-layout and onnxruntime")

    monkeypatch.setattr(ocrkit.layout, "LayoutDetector", missing)
    engine, _ = run(OcrOptions(profile="glm-ocr"), page(report, 5))
    assert [size for _, size in engine.asked] == [(1241, 1754)]
    assert engine.cache_settings()["layout"] is None
    with pytest.raises(EngineUnavailable, match="rapid-layout"):
        run(OcrOptions(profile="glm-ocr", vlm_mode="elements"), page(report, 5))


def test_a_layout_model_that_is_not_there_is_an_error_even_in_auto(
    report: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Not the missing extra, which auto steps round: a setting that names nothing.
    monkeypatch.setenv("OCRKIT_LAYOUT_MODEL", str(tmp_path / "pp_doc_layoutv3.onnx"))
    with pytest.raises(EngineUnavailable, match="is not a file"):
        run(OcrOptions(profile="glm-ocr"), page(report, 5))


def test_regions_in_flight_are_bounded_by_the_engines_concurrency(report: Path) -> None:
    engine, _ = run(OcrOptions(profile="glm-ocr", concurrency=2), page(report, 5))
    assert len(engine.asked) == 3 and engine.most_in_flight == 2


def test_a_region_is_read_once_but_one_inside_another_role_is_read_too() -> None:
    def r(role: str, box: tuple[float, float, float, float]) -> Region:
        return Region(role=role, box=box, score=0.9, label=role)  # type: ignore[arg-type]

    outer = r("text", (100, 100, 900, 400))
    inner = r("text", (120, 120, 500, 300))  # a part of the same paragraph, boxed again
    label = r("text", (100, 520, 400, 560))  # text inside a figure
    figure = r("figure", (80, 500, 900, 900))
    assert without_nested([outer, inner, figure, label]) == [outer, figure, label]
