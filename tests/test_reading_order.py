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
