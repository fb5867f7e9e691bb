"""The structure corpus and its scorer: every rule passes on a perfect reading, the rules that
need text fail on an empty output, and tables are read from Markdown and HTML alike."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from harness import structure_corpus as corpus
from harness.structure_rules import Absent, Order, Present, TableCell, score, tables


def test_every_rule_passes_on_the_ground_truth() -> None:
    result = score(corpus.rules(), corpus.ground_truth())
    assert {k: p == t for k, (p, t) in result.items()} == {
        "absent": True,
        "present": True,
        "order": True,
        "table": True,
    }, result
    assert result["table"][1] >= 16 and result["absent"][1] == 3 * corpus.PAGES


def test_nothing_but_absence_passes_on_an_empty_output() -> None:
    result = score(corpus.rules(), {})
    assert result["present"][0] == result["order"][0] == result["table"][0] == 0
    assert result["absent"][0] == result["absent"][1]


def test_loose_lines_fail_the_table_rules_but_keep_the_text() -> None:
    """What every route gives today: a table's cells run together on lines."""
    flat = {
        page: "\n".join(
            " ".join(c.strip() for c in line.strip("|").split("|"))
            for line in text.splitlines()
            if not line.startswith("|---")
        )
        for page, text in corpus.ground_truth().items()
    }
    result = score(corpus.rules(), flat)
    assert (
        result["table"][0] == 0
        and result["present"]
        == score([r for r in corpus.rules() if r.kind == "present"], corpus.ground_truth())[
            "present"
        ]
    )


def test_html_tables_with_merged_cells_and_markdown_tables_read_alike() -> None:
    html = (
        "<table><tr><th>Показатель</th><th colspan=2>Сумма</th></tr>"
        "<tr><td rowspan=2>Выручка</td><td>2025</td><td>1 234</td></tr>"
        "<tr><td>2024</td><td>(1 100)</td></tr></table>"
    )
    assert tables(html) == [
        [
            ["Показатель", "Сумма", "Сумма"],
            ["Выручка", "2025", "1 234"],
            ["Выручка", "2024", "(1 100)"],
        ]
    ]
    rule = TableCell(page=1, cell="(1 100)", up="1 234", left="2024", left_heading="Выручка")
    assert rule.check(html)
    md = "| a | b |\n|---|---|\n| 1 | 2 |\n\ntext\n\n| x |\n|---|\n| y |"
    assert tables(md) == [[["a", "b"], ["1", "2"]], [["x"], ["y"]]]
    assert not TableCell(page=1, cell="2", up="a").check(md)  # its neighbour above is b


def test_present_is_exact_about_numbers_and_order_needs_both() -> None:
    assert Present(page=1, text="1 234 567").check("итого **1 234 567** руб.")
    assert not Present(page=1, text="1 234 567").check("итого 1234567 руб.")
    assert not Order(page=1, before="а", after="б").check("только а")
    broken = "сбора заявок и\n\nсоставляет 12,75%"
    assert not Present(page=1, text="сбора заявок и составляет 12,75%").check(broken)
    assert Present(page=1, text="сбора заявок и составляет 12,75%").check(
        broken.replace("\n\n", "\n")
    )
    assert Absent(page=1, text="Стр. 1 из 7").check("Стр. 2 из 7")


def test_the_corpus_builds_born_digital_and_scanned(tmp_path: Path) -> None:
    born = corpus.build(tmp_path / "s.pdf")
    scanned = corpus.scan(tmp_path / "scan.pdf", dpi=50)
    doc = pdfium.PdfDocument(str(born))
    try:
        assert len(doc) == corpus.PAGES
        assert "1 234 567" in doc[0].get_textpage().get_text_bounded()
    finally:
        doc.close()
    doc = pdfium.PdfDocument(str(scanned))
    try:
        assert len(doc) == corpus.PAGES
        assert doc[0].get_textpage().get_text_bounded().strip() == ""
    finally:
        doc.close()
