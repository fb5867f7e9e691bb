"""DeepSeek-OCR grounding output, written from the format the legacy service parsed."""

from __future__ import annotations

from ocrkit.model.postprocess.grounding import parse_grounding, to_markdown

SAMPLE = """<|ref|>title<|/ref|><|det|>[[101, 40, 898, 82]]<|/det|>
# ПРОСПЕКТ ЦЕННЫХ БУМАГ

<|ref|>text<|/ref|><|det|>[[100, 100, 900, 200]]<|/det|>
Облигации биржевые процентные неконвертируемые документарные на предъявителя.

<|ref|>table<|/ref|><|det|>[[50, 300, 950, 600]]<|/det|>
<table><tr><td>Купон</td><td>12,5%</td></tr></table>

<|ref|>image<|/ref|><|det|>[[0, 700, 999, 999]]<|/det|>
"""


def test_blocks_types_content_and_pixel_boxes() -> None:
    blocks = parse_grounding(SAMPLE, width=1998, height=999)
    assert [b.type for b in blocks] == ["title", "text", "table", "image"]
    assert [b.id for b in blocks] == [0, 1, 2, 3]
    assert blocks[0].content == "# ПРОСПЕКТ ЦЕННЫХ БУМАГ"
    assert blocks[2].content.startswith("<table>")
    assert blocks[3].content == ""
    # 0-999 grid -> pixels: x scales by 1998/999 = 2, y by 1.
    assert blocks[0].bbox.model_dump() == {"x0": 202, "y0": 40, "x1": 1796, "y1": 82}
    assert blocks[3].bbox.model_dump() == {"x0": 0, "y0": 700, "x1": 1998, "y1": 999}
    assert blocks[1].metadata["grid_bbox"] == [[100, 100, 900, 200]]


def test_markdown_has_no_tags() -> None:
    md = to_markdown(SAMPLE + "<｜end▁of▁sentence｜>")
    assert "<|ref|>" not in md and "<|det|>" not in md and "end▁of▁sentence" not in md
    assert md.startswith("# ПРОСПЕКТ ЦЕННЫХ БУМАГ")
    assert "Купон" in md


def test_several_boxes_and_out_of_grid_values() -> None:
    raw = "<|ref|>text<|/ref|><|det|>[[10, 10, 20, 20], [500, 500, 1200, -5]]<|/det|>\nдва"
    (block,) = parse_grounding(raw, 999, 999)
    assert block.bbox.model_dump() == {"x0": 10, "y0": 10, "x1": 20, "y1": 20}
    assert block.metadata["all_bboxes"][1] == {"x0": 500, "y0": 500, "x1": 999, "y1": 0}
    assert block.content == "два"


def test_malformed_or_missing_boxes() -> None:
    raw = "<|ref|>text<|/ref|><|det|>[[1, 2]]<|/det|>обрывок"
    (block,) = parse_grounding(raw, 100, 100)
    assert block.bbox is None and block.content == "обрывок"
    assert parse_grounding("plain text without grounding", 10, 10) == []
    assert to_markdown("plain text") == "plain text"
