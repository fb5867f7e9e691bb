"""`--format html`: one self-contained review page per document, for checking OCR against
the page, digit by digit. Each page shows its image beside its text with the route,
engine, attempts, finish reason and time; failed, retried, truncated and text-layer pages
are flagged and listed at the top, each a link; tables are shown as tables (merged cells
merged); blocks with boxes (paragraphs, tables, furniture, layout regions) are drawn on the
image. No server, no network: images are inline JPEGs, the style and the
script are inline, and the file is written a page at a time, so memory does not grow with
the document.

The page images are 900 px wide JPEG q60: on an A4 page that is ~110 dpi, where 10-point
digits are ~15 px tall, enough to tell a 3 from an 8, at 60–120 KB a page, so a 300-page
document is a 20–35 MB file a browser opens in seconds. Images are decoded only when their
page scrolls into view.
"""

from __future__ import annotations

import base64
import html
import io
import shutil
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from PIL import Image

from ocrkit.model.images import load_image
from ocrkit.outputs.formats import DocumentInfo, PageWriter
from ocrkit.outputs.results import PageResult
from ocrkit.pdf.document import PdfFile
from ocrkit.structure.markup import tables_in_text, to_html

WIDTH = 900
QUALITY = 60
_A4_PIXELS = WIDTH * int(WIDTH * 1.42)

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#eee;color:#111}
header{position:sticky;top:0;background:#fff;padding:8px 16px;
border-bottom:1px solid #ccc;z-index:2}
header a{margin-right:8px}
.page{display:flex;gap:16px;margin:16px;padding:12px;background:#fff;border:1px solid #ccc}
.page.flagged{border-left:6px solid #d33}
.img{position:relative;flex:0 0 auto;width:min(900px,55vw)}
.img img{width:100%;display:block;min-height:200px;background:#f6f6f6}
.box{position:absolute;border:1.5px solid rgba(220,40,40,.8);pointer-events:none}
.text{flex:1 1 auto;min-width:0}
.text pre{white-space:pre-wrap;font:13px/1.5 ui-monospace,monospace;margin:8px 0 0}
.meta span{display:inline-block;margin-right:10px;color:#555}
.flag{font-weight:600;color:#b00;margin-right:8px}
.text table{border-collapse:collapse;margin:8px 0;font:13px/1.4 ui-monospace,monospace}
.text td{border:1px solid #bbb;padding:2px 6px;vertical-align:top}
"""

# Images load when their page comes near the viewport: a 300-page file opens at once.
SCRIPT = """
const io=new IntersectionObserver(es=>{for(const e of es){if(e.isIntersecting){
const i=e.target;i.src=i.dataset.src;io.unobserve(i);}}},{rootMargin:'1500px'});
document.querySelectorAll('img[data-src]').forEach(i=>io.observe(i));
"""


def flags(page: PageResult) -> list[str]:
    out = []
    if page.source == "failed":
        out.append("failed")
    if page.source == "text-layer":
        out.append("text layer")
    if page.attempts > 1:
        out.append("retried")
    if page.finish_reason == "length":
        out.append("truncated")
    return out


class ReviewPage(PageWriter):
    """The review page of one document. Pages go to a temporary file as they come, each
    image rendered then; the header, which lists the flagged pages, is written first when
    the document is done, then the pages are copied after it."""

    def __init__(self, doc: DocumentInfo, out: BinaryIO) -> None:
        super().__init__(doc, out)
        self._body = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._flagged: list[tuple[int, list[str]]] = []
        self._pdf = PdfFile(doc.path) if doc.path.suffix.lower() == ".pdf" else None

    def _page(self, page: PageResult) -> None:
        if _flagged(page):
            self._flagged.append((page.page, flags(page)))
        self._body.write(_page(page, self._image(page)).encode("utf-8"))

    def _image(self, page: PageResult) -> bytes | None:
        if self._pdf is not None:
            return self._pdf.render(page.page, _jpeg, max_pixels=_A4_PIXELS, dpi=150)
        image = load_image(self.doc.path.read_bytes())
        with Image.open(io.BytesIO(image.data)) as decoded:
            return _jpeg(decoded)

    def close(self) -> None:
        try:
            title = html.escape(self.doc.path.name)
            self._write(f"<!doctype html><html lang=ru><head><meta charset=utf-8><title>{title}")
            self._write(f"</title><style>{STYLE}</style></head><body><header><b>{title}</b> · ")
            self._write(f"{self.pages} pages, {len(self._flagged)} flagged")
            self._write('<nav id="flagged">')
            for number, marks in self._flagged:
                self._write(f'<a href="#page-{number}">{number} ({", ".join(marks)})</a>')
            self._write("</nav></header>")
            self._body.seek(0)
            shutil.copyfileobj(self._body, self.out)
            self._write(f"<script>{SCRIPT}</script></body></html>\n")
        finally:
            self._body.close()
            if self._pdf is not None:
                self._pdf.close()


def _flagged(page: PageResult) -> bool:
    # Text-layer pages are flagged only when something went wrong: the route itself is
    # shown on every page, and a born-digital document would otherwise be all flags.
    return any(f != "text layer" for f in flags(page)) or (
        page.source == "text-layer" and page.error is not None
    )


def _page(page: PageResult, image: bytes | None) -> str:
    marks = flags(page)
    cls = "page flagged" if _flagged(page) else "page"
    data = f' data-flags="{",".join(marks)}"' if marks else ""
    parts = [f'<section class="{cls}" id="page-{page.page}" data-page="{page.page}"{data}>']
    parts.append('<div class="img">')
    if image is not None:
        src = "data:image/jpeg;base64," + base64.b64encode(image).decode()
        parts.append(f'<img alt="page {page.page}" data-src="{src}">')
        parts.extend(_boxes(page))
    parts.append('</div><div class="text"><div class="meta">')
    parts.append(f"<b>page {page.page}</b> ")
    parts.extend(f'<span class="flag">{m}</span>' for m in marks)
    route = page.gate.reason if page.gate else page.source
    meta = {
        "route": f"{page.source} ({route})" if page.gate else page.source,
        "engine": page.engine + (f" / {page.model}" if page.model else ""),
        "attempts": str(page.attempts),
        "finish": page.finish_reason or "–",
        "time": f"{page.seconds:.2f} s",
    }
    parts.extend(f"<span>{k}: {html.escape(v)}</span>" for k, v in meta.items())
    if page.error:
        parts.append(f'<div class="flag">{html.escape(page.error)}</div>')
    parts.append(f"</div>{_text(page.text)}</div></section>")
    return "".join(parts)


def _text(text: str) -> str:
    """The page's text as it reads, its tables (Markdown or HTML, every route writes them
    into the text) as real tables with their merged cells: checked cell by cell against the
    image, not as rows of pipes."""
    parts, at = [], 0
    for start, end, grid in tables_in_text(text):
        if text[at:start].strip():
            parts.append(f"<pre>{html.escape(text[at:start].strip())}</pre>")
        parts.append(to_html(grid))
        at = end
    if text[at:].strip() or not parts:
        parts.append(f"<pre>{html.escape(text[at:].strip())}</pre>")
    return "".join(parts)


def _boxes(page: PageResult) -> Iterator[str]:
    if not page.blocks or not page.image_size:
        return
    w, h = page.image_size
    for block in page.blocks:
        if block.bbox is None or block.type == "word":
            continue  # Tesseract's words would hide the page; the PDF output places them
        b = block.bbox
        style = (
            f"left:{100 * b.x0 / w:.2f}%;top:{100 * b.y0 / h:.2f}%;"
            f"width:{100 * (b.x1 - b.x0) / w:.2f}%;height:{100 * (b.y1 - b.y0) / h:.2f}%"
        )
        yield f'<div class="box" style="{style}" title="{html.escape(block.type)}"></div>'


def _jpeg(image: Image.Image) -> bytes:
    if image.width > WIDTH:
        image = image.resize((WIDTH, round(image.height * WIDTH / image.width)))
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=QUALITY, optimize=True)
    return buf.getvalue()
