"""Every output format against golden files (tests/golden/). After an intended change,
regenerate them with `OCRKIT_UPDATE_GOLDEN=1 pytest tests/test_output.py` and review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from ocrkit.model.postprocess import Block, postprocess
from ocrkit.outputs.formats import default_path, render, save
from ocrkit.outputs.results import Document, PageResult
from ocrkit.pdf.gate import Gate

GOLDEN = Path(__file__).parent / "golden"
GROUNDED = (
    "<|ref|>title<|/ref|><|det|>[[100, 50, 900, 120]]<|/det|>\n# ПРОСПЕКТ\n\n"
    "<|ref|>text<|/ref|><|det|>[[100, 150, 900, 400]]<|/det|>\nКупон 12,5 % годовых."
)


def document() -> Document:
    grounded = postprocess("deepseek-grounding", GROUNDED, 1000, 1400)
    return Document(
        path=Path("docs/prospectus.pdf"),
        sha256="0" * 64,
        page_count=5,
        pages=[
            PageResult(
                page=1,
                text="# Проспект\n\n| Серия | Объём |\n|---|---|\n| 001 | 5 000 000 000 |",
                source="ocr",
                engine="openai",
                model="Qwen/Qwen2-VL-2B-Instruct",
                attempts=1,
                finish_reason="stop",
                prompt_tokens=1200,
                completion_tokens=40,
                seconds=1.5,
            ),
            PageResult(
                page=2,
                text=grounded.text,
                source="ocr",
                engine="openai",
                model="deepseek-ai/DeepSeek-OCR",
                attempts=1,
                finish_reason="stop",
                seconds=2.0,
                blocks=grounded.blocks,
                image_size=(1000, 1400),
            ),
            PageResult(
                page=3,
                text="Досрочное погашение",
                source="text-layer",
                engine="openai",
                attempts=3,
                error="server answered 503: not ready",
                seconds=30.0,
            ),
            PageResult(page=4, text="", source="failed", engine="openai", error="timed out"),
            PageResult(
                page=5,
                text="Выручка за 2024 год: 18 452 млн рублей.",
                source="text-layer",
                engine="pdf-text-layer",
                seconds=0.004,
                gate=Gate(
                    route="text-layer",
                    reason="text layer passed",
                    measure="word_rate",
                    value=0.56,
                    threshold=0.25,
                    measures={"broken_chars": 0.0, "word_rate": 0.56, "words": 7.0},
                ),
            ),
        ],
    )


@pytest.mark.parametrize("fmt", ["md", "txt", "json", "jsonl"])
def test_each_format_matches_its_golden_file(fmt: str) -> None:
    got = render(document(), fmt)  # type: ignore[arg-type]
    golden = GOLDEN / f"prospectus.{fmt}"
    if os.environ.get("OCRKIT_UPDATE_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")


def test_markdown_and_text_carry_no_model_markup_and_json_keeps_the_boxes() -> None:
    doc = document()
    for fmt in ("md", "txt"):
        assert "<|" not in render(doc, fmt)  # type: ignore[arg-type]
    pages = json.loads(render(doc, "json"))["pages"]
    assert pages[1]["image_size"] == [1000, 1400]
    assert [b["bbox"] for b in pages[1]["blocks"]] == [
        {"x0": 100, "y0": 70, "x1": 901, "y1": 168},
        {"x0": 100, "y0": 210, "x1": 901, "y1": 561},
    ]
    assert pages[0]["blocks"] is None


def test_write_is_atomic_and_default_names_follow_the_old_client(tmp_path: Path) -> None:
    target = tmp_path / "out" / "doc_OCR.md"
    first, second = document(), document()
    second.pages = second.pages[:1]
    save(first, "md", target)
    save(second, "md", target)
    assert target.read_text(encoding="utf-8") == render(second, "md")
    assert [p.name for p in target.parent.iterdir()] == ["doc_OCR.md"]  # no temporary left
    assert default_path(Path("a/report.pdf"), "md") == Path("a/report_OCR.md")


def test_saved_files_get_the_usual_permissions_not_the_temporary_files(tmp_path: Path) -> None:
    import ocrkit

    old = os.umask(0o022)
    try:
        ocrkit.save(document(), "md", tmp_path / "out" / "doc.md")
    finally:
        os.umask(old)
    target = tmp_path / "out" / "doc.md"
    assert target.read_text(encoding="utf-8") == render(document(), "md")
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["doc.md"]  # no temporary left


def test_the_review_page_shows_tables_as_tables_with_their_merged_cells(tmp_path: Path) -> None:
    text = (
        "Отчёт\n\n| Статья | 2025 |\n|---|---|\n| Выручка | 1 234 567 |\n\nИтого\n\n"
        '<table><tr><td rowspan="2">Купон</td><td>12,75%</td></tr><tr><td>(12 345)</td></tr>'
        "</table>"
    )
    page = PageResult(page=1, text=text, source="ocr", engine="openai")
    image = tmp_path / "page.png"
    Image.new("RGB", (100, 140), "white").save(image)
    doc = Document(path=image, sha256="0" * 64, page_count=1, pages=[page])
    out = render(doc, "html").decode()  # type: ignore[arg-type]
    body = out[out.index('<section class="page"') :]
    assert "<pre>Отчёт</pre><table><tr><td>Статья</td><td>2025</td></tr>" in body
    assert "<td>Выручка</td><td>1 234 567</td></tr></table><pre>Итого</pre>" in body
    assert '<td rowspan="2">Купон</td><td>12,75%</td></tr><tr><td>(12 345)</td>' in body
    assert "| Статья |" not in body


def test_markdown_renders_ordered_blocks_with_titles_as_headings_and_text_stays_plain() -> None:
    def block(i: int, kind: str, content: str) -> Block:
        return Block(id=i, type=kind, content=content, bbox=None, metadata={"order": i})

    ordered = [block(0, "title", "Условия\nвыпуска"), block(1, "text", "Купон 12,75% годовых.")]
    page = PageResult(
        page=1,
        text="Условия\nвыпуска\n\nКупон 12,75% годовых.",
        source="text-layer",
        engine="tesseract",
        blocks=[*ordered, Block(id=2, type="page_number", content="1", bbox=None)],
    )
    doc = Document(path=Path("a.pdf"), sha256="0" * 64, page_count=1, pages=[page])
    md, txt = render(doc, "md"), render(doc, "txt")
    assert "\n## Условия выпуска\n\nКупон 12,75% годовых.\n" in md and "1\n" not in md
    assert "#" not in txt and txt.startswith("Условия\nвыпуска")
    # A VLM's page is Markdown already (its text is not its blocks' contents): kept as is.
    vlm = page.model_copy(update={"text": "## Условия выпуска\n\nКупон 12,75% годовых."})
    assert vlm.markdown == vlm.text
