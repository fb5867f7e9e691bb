"""`--format html`: the review page, opened in a real headless Chromium as a person opens
it: from the file, with no server. Asserted through the browser's DOM; every request the
page makes is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import corpus
from harness.browser import Browser
from harness.cli import env, ocrkit
from ocrkit.model.postprocess import BBox, Block
from ocrkit.outputs.formats import render
from ocrkit.outputs.results import Document, PageResult
from samples.make_sample import scanned

pytestmark = pytest.mark.slow  # a real Chromium (and Tesseract) per test

# A lazily loaded image has its src once the page's observer has seen it near the viewport:
# waited for as it happens (30 s: a guard against a hang, not a measure of speed).
WITH_SRC = (
    "const withSrc = i => new Promise((ok, no) => { const t0 = performance.now();"
    " (function poll() { if (i.getAttribute('src')) ok();"
    " else if (performance.now() - t0 > 30000) no('no src on ' + i.dataset.src.slice(0, 30));"
    " else setTimeout(poll, 20); })(); });"
)


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The review page of the mixed corpus document, read with Tesseract."""
    tmp = tmp_path_factory.mktemp("review")
    src = corpus.mixed(tmp / "mixed.pdf")
    out = tmp / "mixed_OCR.html"
    proc = ocrkit(src, "--engine", "tesseract", "--format", "html", "-o", out, environ=env(tmp))
    assert proc.returncode == 0, proc.stderr
    return out


def test_the_review_page_opens_with_every_page_and_its_image(review: Path) -> None:
    with Browser() as browser:
        browser.open(review.as_uri())
        pages = browser.evaluate("[...document.querySelectorAll('section.page')].length")
        assert pages == len(corpus.CASES)
        # Scroll through so every lazily loaded image is asked for, then check each decoded.
        browser.evaluate(
            f"(async () => {{ {WITH_SRC} for (const s of document.querySelectorAll('section.page'))"
            " { s.scrollIntoView(); await withSrc(s.querySelector('img')); } })()"
        )
        loaded = browser.evaluate(
            "Promise.all([...document.images].map(i => i.decode().then(() =>"
            " [i.naturalWidth, i.src.slice(0, 22)])))"
        )
        assert len(loaded) == len(corpus.CASES)
        assert all(w >= 600 and src == "data:image/jpeg;base64" for w, src in loaded)
        # Each page's text as a reader sees it: its ruled table shown as a table.
        texts = browser.evaluate(
            "[...document.querySelectorAll('section.page .text')].map(t => [...t.children]"
            ".filter(c => !c.classList.contains('meta')).map(c => c.innerText).join('\\n'))"
        )
        assert corpus.normalise(texts[0]) == corpus.CASES[0].text
        cells = browser.evaluate("[...document.querySelectorAll('#page-1 table td')].length")
        assert cells >= 4 and "|" not in texts[0]
        # Only the file itself and its inline images: nothing goes to the network.
        assert browser.requests, "the browser recorded no request at all"
        assert all(url.startswith(("file://", "data:")) for url in browser.requests), (
            browser.requests
        )
        browser.evaluate("window.scrollTo(0, 0)")
        shot = browser.screenshot(review.with_suffix(".png"))
        assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_flagged_pages_are_marked_and_listed(tmp_path: Path) -> None:
    src = tmp_path / "scan.pdf"
    src.write_bytes(scanned(4))
    pages = [
        PageResult(
            page=1, text="Проспект", source="ocr", engine="openai", attempts=1, finish_reason="stop"
        ),
        PageResult(
            page=2,
            text="",
            source="failed",
            engine="openai",
            attempts=3,
            error="server answered 503",
        ),
        PageResult(
            page=3,
            text="Купон " * 50,
            source="ocr",
            engine="openai",
            attempts=3,
            finish_reason="length",
        ),
        PageResult(
            page=4,
            text="Выручка",
            source="ocr",
            engine="openai",
            attempts=1,
            blocks=[
                Block(
                    id=0, type="table", content="Выручка", bbox=BBox(x0=100, y0=200, x1=500, y1=400)
                )
            ],
            image_size=(1000, 1414),
        ),
    ]
    doc = Document(path=src, sha256="0" * 64, page_count=4, pages=pages)
    out = tmp_path / "review.html"
    out.write_bytes(render(doc, "html"))  # type: ignore[arg-type]
    with Browser() as browser:
        browser.open(out.as_uri())
        flags = browser.evaluate(
            "[...document.querySelectorAll('section.page')].map(s =>"
            " [s.dataset.page, s.classList.contains('flagged'), s.dataset.flags || ''])"
        )
        assert flags == [
            ["1", False, ""],
            ["2", True, "failed,retried"],
            ["3", True, "retried,truncated"],
            ["4", False, ""],
        ]
        links = browser.evaluate("[...document.querySelectorAll('#flagged a')].map(a => a.hash)")
        assert links == ["#page-2", "#page-3"]
        browser.evaluate("document.querySelector('#flagged a').click()")
        assert browser.evaluate("location.hash") == "#page-2"
        # DeepSeek's block is drawn on its page's image, where its box says.
        browser.evaluate(
            f"(async () => {{ {WITH_SRC} const i = document.querySelector('#page-4 img');"
            " i.scrollIntoView(); await withSrc(i); await i.decode(); })()"
        )
        box = browser.evaluate(
            "(() => { const b = document.querySelector('#page-4 .box').getBoundingClientRect();"
            " const i = document.querySelector('#page-4 img').getBoundingClientRect();"
            " return [(b.left - i.left) / i.width, (b.top - i.top) / i.height,"
            " b.width / i.width]; })()"
        )
        assert box == pytest.approx([0.1, 200 / 1414, 0.4], abs=0.01)
