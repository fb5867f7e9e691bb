"""Each model's raw output, as its documented formats write it, through its profile's
post-processor: clean Markdown, and blocks with pixel boxes where the model gives them."""

from __future__ import annotations

import pytest

from ocrkit.model.postprocess import postprocess
from ocrkit.model.profiles import list_profiles, load_profile

# DeepSeek-OCR-2 keeps DeepSeek-OCR's grounding format (0-999 grid).
DEEPSEEK_OCR_2 = (
    "<|ref|>title<|/ref|><|det|>[[80, 40, 920, 90]]<|/det|>\n# Проспект облигаций\n\n"
    "<|ref|>table<|/ref|><|det|>[[80, 120, 920, 400]]<|/det|>\n"
    "<table><tr><td>Серия</td><td>001</td></tr></table>"
)
# GLM-OCR: Markdown, LaTeX, HTML tables.
GLM_OCR = (
    "## Условия выпуска\n\nКупон $r = 12{,}5\\%$ годовых.\n\n"
    "<table><tr><th>Показатель</th><th>2025</th></tr>"
    "<tr><td>Выручка, млн руб.</td><td>1 234</td></tr></table>\n\n"
    "$$\nP = \\sum_{t=1}^{n} \\frac{C}{(1+r)^t}\n$$"
)
GLM_OCR_MERGED = (
    '<table><tr><td rowspan="2">Показатель</td><td colspan="2">2025</td></tr>'
    "<tr><td>1 кв.</td><td>2 кв.</td></tr></table>"
)
# PaddleOCR-VL: OTSL tables, and spotting with eight <|LOC_n|> tokens (0-1000) per line.
PADDLE_TABLE = "<fcel>Серия<fcel>Купон<nl><fcel>001<fcel>12,5 %<nl><fcel>002<ecel><nl>"
PADDLE_TABLE_MERGED = "<fcel>Показатель<fcel>2025<lcel><nl><ucel><fcel>1 кв.<fcel>2 кв.<nl>"
PADDLE_SPOTTING = (
    "ПРОСПЕКТ<|LOC_100|><|LOC_50|><|LOC_500|><|LOC_50|><|LOC_500|><|LOC_80|><|LOC_100|><|LOC_80|>\n"
    "Купон 12,5 %<|LOC_100|><|LOC_100|><|LOC_400|><|LOC_100|><|LOC_400|><|LOC_130|>"
    "<|LOC_100|><|LOC_130|>"
)


def test_every_profile_names_a_post_processor_that_exists() -> None:
    for name in list_profiles():
        profile = load_profile(name)
        postprocess(profile.client.postprocess, "text", 10, 10)  # raises if unknown


def test_deepseek_ocr_2_grounding_becomes_markdown_and_boxes() -> None:
    page = postprocess(
        load_profile("deepseek-ocr-2").client.postprocess, DEEPSEEK_OCR_2, 1000, 1000
    )
    assert page.text.startswith("# Проспект облигаций")
    assert "<|" not in page.text
    assert page.blocks is not None
    assert [(b.type, b.bbox.y1 if b.bbox else None) for b in page.blocks] == [
        ("title", 90),
        ("table", 400),
    ]


def test_glm_ocr_tables_become_markdown_formulas_stay() -> None:
    page = postprocess(load_profile("glm-ocr").client.postprocess, GLM_OCR, 800, 1000)
    assert page.text == (
        "## Условия выпуска\n\nКупон $r = 12{,}5\\%$ годовых.\n\n"
        "| Показатель | 2025 |\n| --- | --- |\n| Выручка, млн руб. | 1 234 |\n\n"
        "$$\nP = \\sum_{t=1}^{n} \\frac{C}{(1+r)^t}\n$$"
    )
    assert page.blocks is None  # GLM-OCR gives no layout on its own


def test_a_table_with_merged_cells_stays_html() -> None:
    page = postprocess("glm-ocr", GLM_OCR_MERGED, 10, 10)
    assert page.text == (
        '<table><tr><td rowspan="2">Показатель</td><td colspan="2">2025</td></tr>'
        "<tr><td>1 кв.</td><td>2 кв.</td></tr></table>"
    )


def test_paddleocr_vl_otsl_tables() -> None:
    name = load_profile("paddleocr-vl").client.postprocess
    assert postprocess(name, PADDLE_TABLE, 10, 10).text == (
        "| Серия | Купон |\n| --- | --- |\n| 001 | 12,5 % |\n| 002 |  |"
    )
    assert postprocess(name, PADDLE_TABLE_MERGED, 10, 10).text == (
        '<table><tr><td rowspan="2">Показатель</td><td colspan="2">2025</td></tr>'
        "<tr><td>1 кв.</td><td>2 кв.</td></tr></table>"
    )


def test_paddleocr_vl_spotting_gives_lines_and_pixel_boxes() -> None:
    page = postprocess("paddleocr-vl", PADDLE_SPOTTING, 2000, 3000)
    assert page.text == "ПРОСПЕКТ\nКупон 12,5 %"
    assert page.blocks is not None
    first, second = page.blocks
    assert first.content == "ПРОСПЕКТ" and first.bbox is not None
    assert first.bbox.model_dump() == {"x0": 200, "y0": 150, "x1": 1000, "y1": 240}
    assert first.metadata["polygon"] == [[200, 150], [1000, 150], [1000, 240], [200, 240]]
    assert second.bbox is not None and second.bbox.y1 == 390


def test_paddleocr_vl_plain_ocr_is_kept_as_it_is() -> None:
    text = "Облигации серии 001\nНоминал 1 000 руб."
    page = postprocess("paddleocr-vl", text + "</s>", 10, 10)
    assert page.text == text and page.blocks is None


@pytest.mark.parametrize("name", ["deepseek-ocr-2", "glm-ocr", "paddleocr-vl"])
def test_new_profiles_say_their_mode_and_take_prompt_types(name: str) -> None:
    profile = load_profile(name)
    assert profile.client.prompt_by == "type" and profile.adapter_port == 8000
    assert profile.mode.mode in ("full-page", "element-level")
    assert profile.params and profile.languages
    if profile.mode.mode == "element-level":
        assert "layout" in profile.mode.note.lower() or "Layout" in profile.mode.note
