"""The tables a VLM writes (Markdown pipe tables, or HTML where cells merge) become table
blocks with their cells, as tables on every other route do; the text stays as written."""

from __future__ import annotations

from harness.images import page_png
from ocrkit.engines.openai_api import OpenAIEngine
from ocrkit.model.images import load_image
from ocrkit.model.reply import ChatReply
from ocrkit.options import OcrOptions
from ocrkit.structure.markup import cells_of, grids_in_text

REPLY = """# Баланс

| Показатель | 2025 | 2024 |
|---|---|---|
| Выручка | 1 234 567 | (12 345) |
| Маржа | 12,75% | 11,40% |

Текст между таблицами.

<table><tr><th>Серия</th><th colspan="2">Купон</th></tr>
<tr><td rowspan="2">БО-07</td><td>1</td><td>14,25%</td></tr>
<tr><td>2</td><td>14,25%</td></tr></table>
"""


def test_a_vlm_pages_tables_become_table_blocks_with_their_cells() -> None:
    engine = OpenAIEngine(OcrOptions(engine="openai", url="http://127.0.0.1:9"))
    page = load_image(page_png(300, 400))
    reply = engine.finish(ChatReply(text=REPLY, finish_reason="stop"), page)
    assert reply.text.startswith("# Баланс") and "<table>" in reply.text  # merged: HTML kept
    tables = [b for b in reply.blocks or [] if b.type == "table"]
    assert [t.bbox for t in tables] == [None, None]  # a full-page model gives no box
    first = {(c["row"], c["col"]): c["text"] for c in tables[0].metadata["cells"]}
    assert first[(1, 1)] == "1 234 567" and first[(1, 2)] == "(12 345)"
    assert first[(2, 1)] == "12,75%" and first[(0, 0)] == "Показатель"
    second = tables[1].metadata["cells"]
    assert {"row": 0, "col": 1, "rowspan": 1, "colspan": 2, "text": "Купон"} in second
    assert {"row": 1, "col": 0, "rowspan": 2, "colspan": 1, "text": "БО-07"} in second
    # The merged cell takes its slot in the row below: "2" is in column 1, not 0.
    assert {"row": 2, "col": 1, "rowspan": 1, "colspan": 1, "text": "2"} in second


def test_text_without_tables_gets_no_table_blocks() -> None:
    assert grids_in_text("Купон 12,5 % | годовых\n\nИтого") == []
    assert cells_of([]) == []
