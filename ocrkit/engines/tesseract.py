"""Tesseract 5 on the CPU: the embedded default on a machine with no GPU and no server.

Tesseract is asked for its TSV layout: the page's text is rebuilt from it (words in lines,
lines in paragraphs, as its own text output does) and every word keeps its pixel box, which
the searchable PDF uses to lay each word over its image. Tables among the words (their
columns line up) come out as Markdown tables and table blocks (`ocrkit.pdf.words`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from typing import TYPE_CHECKING

from ocrkit.engines.base import Engine, Reply
from ocrkit.errors import EngineUnavailable, PageFailed
from ocrkit.layout.roles import assign_roles
from ocrkit.model.images import PageImage
from ocrkit.model.postprocess import BBox, Block, ordered
from ocrkit.pdf.formulas import reread
from ocrkit.pdf.sources import RenderTarget
from ocrkit.pdf.words import with_tables

if TYPE_CHECKING:
    from ocrkit.layout import LayoutDetector

log = logging.getLogger("ocrkit")
LANGUAGES = {"russian": "rus+eng", "english": "eng", "auto": "rus+eng"}
DPI = 300  # Tesseract is trained on ~300 dpi text


class TesseractEngine(Engine):
    name = "tesseract"
    # One single-threaded process per core beats one multi-threaded process per page.
    default_concurrency = os.cpu_count() or 1
    uses_layout = False  # decided by start() (--layout)
    _detector: LayoutDetector | None = None
    _loading: asyncio.Lock | None = None

    async def _layout(self) -> LayoutDetector | None:
        """The layout stage, loaded by the first page OCR'd (a run whose pages all come from
        their text layer never pays its memory and start-up); None where it cannot load
        after all (OpenCV without libGL, say): then the pages are read without it."""
        if self._loading is None:
            self._loading = asyncio.Lock()
        async with self._loading:
            if self._detector is None and self.uses_layout:
                from ocrkit.layout import LayoutDetector, LayoutMissing

                try:
                    self._detector = await asyncio.to_thread(LayoutDetector)
                except LayoutMissing as exc:
                    log.warning(
                        "%s; Tesseract pages are read without its roles, and read again by "
                        "each run until it loads (or with --layout off)",
                        exc,
                    )
                    self.uses_layout = False
        return self._detector

    @property
    def target(self) -> RenderTarget:
        return RenderTarget(dpi=DPI, grayscale=True, jpeg_quality=None)

    @property
    def langs(self) -> str:
        return LANGUAGES[self.options.language]

    def cache_settings(self) -> dict[str, object]:
        layout = self.layout_key if self.uses_layout else None
        return {**super().cache_settings(), "langs": self.langs, "layout": layout}

    async def start(self) -> None:
        exe = shutil.which("tesseract")
        if exe is None:
            raise EngineUnavailable(
                "tesseract is not installed (Debian: apt-get install tesseract-ocr "
                "tesseract-ocr-rus)"
            )
        have = set((await _output(exe, "--list-langs")).split())
        missing = [lang for lang in self.langs.split("+") if lang not in have]
        if missing:
            raise EngineUnavailable(
                f"tesseract lacks language data {missing} (Debian: apt-get install "
                + " ".join(f"tesseract-ocr-{m}" for m in missing)
                + ")"
            )
        self.model = (await _output(exe, "--version")).splitlines()[0].strip()
        self._exe = exe
        if self.options.layout == "on":
            from ocrkit.layout import LayoutDetector

            # Asked for: loaded now, so that a layout stage that cannot run stops the run
            # before its first page.
            self._detector = await asyncio.to_thread(LayoutDetector)
            self.uses_layout = True
        elif self.options.layout == "auto":
            from ocrkit.layout import LayoutMissing, check_layout

            try:
                check_layout()
                self.uses_layout = True
            except LayoutMissing:
                pass  # the embedded default installs no layout extra: no regions' roles

    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        out = await self._tesseract(page.data, self.langs, 3)
        words = tsv_words(out)
        # Tables among the words (ruled or not) become Markdown tables and table blocks; the
        # page, blocks in reading order.
        text, blocks, _ = with_tables(words)
        layout = await self._layout() if self.uses_layout else None
        image = None
        if layout is not None:
            # Grey as rendered: the layout stage shrinks it before it makes its colour copy.
            image = await asyncio.to_thread(page.image)
            assign_roles(blocks, await asyncio.to_thread(layout.regions, image))
        if any(b.type == "formula" for b in blocks):
            if image is None:
                image = await asyncio.to_thread(page.image)
            if await reread(blocks, image, self.langs, self._words):
                text = "\n\n".join(b.content for b in ordered(blocks))
        return Reply(
            text=text, finish_reason="stop", blocks=blocks, image_size=(page.width, page.height)
        )

    async def _words(self, png: bytes, langs: str, psm: int) -> list[Block]:
        return tsv_words(await self._tesseract(png, langs, psm))

    async def _tesseract(self, image: bytes, langs: str, psm: int) -> str:
        """Tesseract's TSV for an encoded image."""
        proc = await asyncio.create_subprocess_exec(
            self._exe,
            "stdin",
            "stdout",
            "-l",
            langs,
            "--dpi",
            str(DPI),
            "--psm",
            str(psm),
            "tsv",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(image), self.options.timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise PageFailed(f"tesseract took over {self.options.timeout:.0f} s") from None
        if proc.returncode != 0:
            raise PageFailed(f"tesseract failed: {err.decode(errors='replace').strip()[:300]}")
        return out.decode("utf-8", "replace")


def tsv_words(tsv: str) -> list[Block]:
    """Tesseract's words as blocks with pixel boxes, each with its text line and paragraph
    (numbered down the page), Roman numerals mended."""
    words: list[Block] = []
    last_par = last_line = None
    par_index = line_index = -1
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        par, line = tuple(cols[1:4]), tuple(cols[1:5])
        left, top, width, height = (int(c) for c in cols[6:10])
        if par != last_par:
            par_index += 1
        if line != last_line or par != last_par:
            line_index += 1
        last_par, last_line = par, line
        words.append(
            Block(
                id=len(words),
                type="word",
                content=cols[11],
                bbox=BBox(x0=left, y0=top, x1=left + width, y1=top + height),
                confidence=round(float(cols[10]) / 100, 3),
                # The text line it is on: the searchable PDF sets a line on one baseline;
                # its paragraph: the text is rebuilt around the tables found among the words.
                metadata={"line": line_index, "par": par_index},
            )
        )
    return roman_numerals(words)


def roman_numerals(words: list[Block]) -> list[Block]:
    """Tesseract reads a Roman numeral after a word ("Итого по разделу I", "раздел II") as
    pipes, which the table finder then drops as a table's rule. A "|" word of a letter's
    height, a word space after the word before it on its line, and not repeated at the same
    place on other lines (a rule), is that numeral."""
    heights = sorted(w.bbox.y1 - w.bbox.y0 for w in words if w.bbox)
    if not heights:
        return words
    usual = heights[len(heights) // 2]
    pipes = [w for w in words if set(w.content) == {"|"} and w.bbox]
    out = list(words)
    for i in range(1, len(out)):
        word, before = out[i], out[i - 1]
        b, a = word.bbox, before.bbox
        if set(word.content) != {"|"} or b is None or a is None:
            continue
        same_line = word.metadata.get("line") == before.metadata.get("line")
        letter_high = b.y1 - b.y0 <= 1.25 * usual
        # A table's rule is read as "|" at the same place on the lines around it.
        rule = any(
            p is not word
            and p.metadata.get("line") != word.metadata.get("line")
            and abs((p.bbox.x0 + p.bbox.x1) - (b.x0 + b.x1)) / 2 <= usual / 2  # type: ignore[union-attr]
            for p in pipes
        )
        if same_line and letter_high and not rule and 0 <= b.x0 - a.x1 <= usual:
            out[i] = word.model_copy(update={"content": "I" * len(word.content)})
    return out


async def _output(exe: str, *args: str) -> str:
    """stdout and stderr of a quick tesseract call (it prints some answers on stderr),
    without blocking the event loop."""
    proc = await asyncio.create_subprocess_exec(
        exe, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise EngineUnavailable(f"{exe} {' '.join(args)} hung for 30 s") from None
    return out.decode("utf-8", "replace")
