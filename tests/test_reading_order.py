"""Reading order on born-digital pages: two columns read column by column, a sentence that
wraps inside a column joined into one paragraph, a formula line in its place."""

from __future__ import annotations

from pathlib import Path

import ocrkit
from harness import structure_corpus as corpus
from harness.structure_rules import Order, Present


def test_columns_and_formula_pages_pass_their_present_and_order_rules(tmp_path: Path) -> None:
    pdf = corpus.build(tmp_path / "report.pdf")
    doc = ocrkit.ocr(pdf, route="text", pages="5,6", cache_dir=tmp_path / "cache")
    pages = {p.page: p.text for p in doc.pages}
    rules = [r for r in corpus.rules() if isinstance(r, Present | Order) and r.page in pages]
    assert len(rules) >= 8
    assert [r for r in rules if not r.check(pages[r.page])] == []
    # The left column's second paragraph is one paragraph, not a line each.
    assert "определяется по итогам сбора заявок и составляет 12,75% годовых." in pages[5]


def test_text_layer_pages_are_blocks_in_reading_order_with_roles(tmp_path: Path) -> None:
    pdf = corpus.build(tmp_path / "report.pdf")
    doc = ocrkit.ocr(pdf, route="text", pages="1,5", cache_dir=tmp_path / "cache")
    balance, columns = doc.pages
    body = [b for b in columns.blocks or [] if "order" in b.metadata]
    assert [b.metadata["order"] for b in body] == list(range(len(body)))
    assert body[0].type == "title" and body[0].content == "Условия выпуска"
    assert all(b.type == "text" for b in body[1:])
    # The text is the blocks' contents in their order; the left column before the right.
    assert columns.text == "\n\n".join(b.content for b in body)
    left = next(b for b in body if "12,75%" in b.content)
    right = next(b for b in body if b.bbox and b.bbox.x0 > 300)
    assert body.index(left) < body.index(right) and left.bbox.x1 < right.bbox.x0
    # Furniture follows, out of the text's order; a table is a block in its place.
    assert {b.type for b in columns.blocks or [] if "order" not in b.metadata} >= {"header"}
    kinds = [b.type for b in balance.blocks or [] if "order" in b.metadata]
    assert kinds[0] == "title" and "table" in kinds
