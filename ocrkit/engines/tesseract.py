"""Tesseract 5 on the CPU: the embedded default on a machine with no GPU and no server.

Tesseract is asked for its TSV layout: the page's text is rebuilt from it (words in lines,
lines in paragraphs, as its own text output does) and every word keeps its pixel box, which
the searchable PDF uses to lay each word over its image. Tables among the words (their
columns line up) come out as Markdown tables and table blocks (`ocrkit.structure.words`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from ocrkit.engines.base import Engine, Reply
from ocrkit.engines.orientation import Orientation, parse_osd, unrotate
from ocrkit.errors import EngineUnavailable, ImageError, PageFailed
from ocrkit.language import (
    TESSERACT_LANGUAGE,
    TESSERACT_SCRIPT,
    WORD,
    lexicon,
    read_text,
    script_of,
    word_script,
)
from ocrkit.layout.roles import assign_roles
from ocrkit.model.images import PageImage, encode
from ocrkit.model.postprocess import BBox, Block, ordered
from ocrkit.pdf.gate import WORD_RATE_MIN
from ocrkit.pdf.sources import RenderTarget
from ocrkit.structure.formulas import reread
from ocrkit.structure.skew import MIN_SKEW, level, skew_of, turned
from ocrkit.structure.words import with_tables

if TYPE_CHECKING:
    from ocrkit.layout import LayoutDetector, LayoutSettings
    from ocrkit.layout.regions import Region

log = logging.getLogger("ocrkit")
LANGUAGES = {"russian": "rus+eng", "english": "eng", "auto": "rus+eng"}
# With no language named, a page is read with the embedded default's models first, and read
# again where what they made says the page is another script's: with English alone where it
# is Latin (Russian's model makes Cyrillic look-alikes of Latin letters), with the script's
# own model where Tesseract's detection names one and the words read as no language.
BY_SCRIPT_DEFAULT = "rus+eng"
LOOK_ALIKES_MAX = 0.05  # Cyrillic letters in a Latin page's words, as a share of its Latin
DPI = 300  # Tesseract is trained on ~300 dpi text
OSD_HALVED_FROM = 2000  # pixels on the shorter side
# A page is judged upright by its reading alone with this many words, this share of them
# frequent words of its language. Upright real scans here read 0.46-0.74; the same pages
# turned on their side 0.03-0.17 (garbage has a few short frequent words): above the
# gate's 0.1 for a text layer.
UPRIGHT_WORDS = 20
UPRIGHT_RATE = 0.3
# Tesseract's binarisation. Its default, one Otsu threshold for the whole page, loses the
# text in a phone photo's shadows; Sauvola's, a threshold per neighbourhood (2), reads it.
# On evenly lit paper the two come out even (../shared/realdocs' Russian scans: 3 rules won,
# 2 lost; a Latin "N" in Russian prose read as "М"), so Sauvola's is for uneven light only.
OTSU, SAUVOLA = 0, 2
UNEVEN = 40  # grey levels between the page's lightest and darkest paper (a photo: ~130)


class TesseractEngine(Engine):
    name = "tesseract"
    # One single-threaded process per core beats one multi-threaded process per page.
    default_concurrency = os.cpu_count() or 1
    uses_layout = False  # decided by start() (--layout)
    _detector: LayoutDetector | None = None
    _have: frozenset[str] | set[str] = frozenset()  # models installed (start() lists them)
    _missing_told: set[str]
    _loading: asyncio.Lock | None = None
    _reading = 0  # pages being read now

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
                    self._detector = await asyncio.to_thread(LayoutDetector, layout_settings())
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
        return RenderTarget(dpi=DPI, grayscale=True, jpeg_quality=None, uncompressed=True)

    @property
    def langs(self) -> str | None:
        """The models the user's language names; None: each page's script picks them."""
        return LANGUAGES[self.options.language] if self.options.language else None

    def cache_settings(self) -> dict[str, object]:
        layout = self.layout_key if self.uses_layout else None
        langs = self.langs or "by-script"
        return {
            **super().cache_settings(),
            "langs": langs,
            "osd": True,
            "layout": layout,
            "thresholding": "sauvola-where-light-is-uneven",
        }

    def _reads_upright(self, words: list[Block]) -> bool:
        """Whether the words read as a language as they stand: enough of them, enough of
        them its frequent words."""
        reading = read_text(" ".join(w.content for w in words))
        return (
            reading.words >= UPRIGHT_WORDS
            and reading.word_rate is not None
            and reading.word_rate >= UPRIGHT_RATE
        )

    def _again_with(self, words: list[Block], script: str | None) -> str | None:
        """The models to read the page again with, where the default's words say the page
        is not theirs (module comment above); None where they fit."""
        reading = read_text(" ".join(w.content for w in words))
        plausible = reading.word_rate is not None and reading.word_rate >= WORD_RATE_MIN
        # Words that read as another language of the script (German, Ukrainian): its own
        # model reads its letters (ä, é, ł, є, ї) that the default's turn into others.
        own = TESSERACT_LANGUAGE.get(reading.language or "") if plausible else None
        if own is not None and own in self._have:
            return f"{own}+eng"
        if own is not None:
            self._tell_missing(reading.language or own, own)
        cyrillic, latin = reading.scripts.get("cyrillic", 0), reading.scripts.get("latin", 0)
        if reading.script == "latin" and 0 < cyrillic <= LOOK_ALIKES_MAX * latin:
            return "eng"  # a few Cyrillic letters in Latin text: look-alikes, not Russian
        if plausible or script in (None, "latin", "cyrillic") or script not in TESSERACT_SCRIPT:
            return None
        model = TESSERACT_SCRIPT[script]
        if model in self._have:
            return f"{model}+eng"
        self._tell_missing(script, model)
        return None

    def _tell_missing(self, what: str, model: str) -> None:
        """Once a run: a page looks `what` and Tesseract has no model for it."""
        if what in self._missing_told:
            return
        self._missing_told.add(what)
        log.warning(
            "a page looks %s; without Tesseract's %r model (Debian: apt-get install "
            "tesseract-ocr-%s) it is read as %s",
            what,
            model,
            model.replace("_", "-"),
            BY_SCRIPT_DEFAULT,
        )

    async def start(self) -> None:
        exe = shutil.which("tesseract")
        if exe is None:
            raise EngineUnavailable(
                "tesseract is not installed (Debian: apt-get install tesseract-ocr "
                "tesseract-ocr-rus)"
            )
        langs, version = await asyncio.gather(
            _output(exe, "--list-langs"), _output(exe, "--version")
        )
        have = set(langs.split())
        self._have, self._missing_told = have, set()  # scripts warned about
        missing = [
            lang for lang in (self.langs or BY_SCRIPT_DEFAULT).split("+") if lang not in have
        ]
        if missing:
            raise EngineUnavailable(
                f"tesseract lacks language data {missing} (Debian: apt-get install "
                + " ".join(f"tesseract-ocr-{m}" for m in missing)
                + ")"
            )
        self.model = version.splitlines()[0].strip()
        self._exe = exe
        if self.options.layout == "on":
            from ocrkit.layout import LayoutDetector

            # Asked for: loaded now, so that a layout stage that cannot run stops the run
            # before its first page.
            self._detector = await asyncio.to_thread(LayoutDetector, layout_settings())
            self.uses_layout = True
        elif self.options.layout == "auto":
            from ocrkit.layout import LayoutMissing, check_layout

            try:
                check_layout()
                self.uses_layout = True
            except LayoutMissing:
                pass  # the embedded default installs no layout extra: no regions' roles

    async def _regions(self, image: Image.Image) -> list[Region] | None:
        """The layout stage's regions of the page as it stands; None without the stage."""
        layout = await self._layout()
        return None if layout is None else await asyncio.to_thread(layout.regions, image)

    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        # Decoded once: for the page's orientation, its rules, the layout stage, formulas.
        image = await asyncio.to_thread(page.image)
        # The layout stage (loaded by the first page, then its regions) needs only the image:
        # it runs on the other core while Tesseract, single-threaded, reads the page, so a
        # one-page run does not wait for the two one after the other.
        regions = asyncio.ensure_future(self._regions(image)) if self.uses_layout else None
        self._reading += 1
        try:
            return await self._read(page, image, regions, alone=self._reading == 1)
        finally:
            self._reading -= 1
            if regions is not None:
                _forget(regions)

    async def _read(
        self,
        page: PageImage,
        image: Image.Image,
        regions: asyncio.Future | None,
        *,
        alone: bool,
    ) -> Reply:
        langs = self.langs or BY_SCRIPT_DEFAULT
        upright = page
        light = OTSU
        # Most pages stand upright and are read as words of a language at once: Tesseract's
        # orientation and script detection (as long as a third of the reading) is only for
        # a page whose words make no sense as it stands (sideways, upside down, another
        # script), which costs that page one more reading. A page read alone (a one-page
        # run) has a core to spare: the detection runs beside the reading, and where it
        # says the page is turned, the page is read turned upright beside it too; the
        # first reading still decides, as it does for every other page.
        reading: asyncio.Future[str] | None = None
        osd: asyncio.Future[Orientation] | None = None
        turned: tuple[Image.Image, PageImage, asyncio.Future[str]] | None = None

        def begin(light: int) -> asyncio.Future[str]:
            return asyncio.ensure_future(
                self._tesseract(upright.data, langs, 3, thresholding=light)
            )

        try:
            reading = begin(light)
            # Paper lit evenly, as nearly every page's is, takes Tesseract's global threshold:
            # its reading starts at once, and only a page found lit unevenly (a phone photo)
            # is begun again with a threshold of each neighbourhood's own.
            if await asyncio.to_thread(uneven_light, image):
                light = SAUVOLA
                reading.cancel()
                await asyncio.gather(reading, return_exceptions=True)
                reading = begin(light)
            if alone:
                osd = asyncio.ensure_future(self._orientation(image, spare=True))
                await asyncio.wait({reading, osd}, return_when=asyncio.FIRST_COMPLETED)
                if not reading.done() and osd.result().rotate:
                    turned = await self._turned(image, osd.result(), langs, light, spare=True)
            words = tsv_words(await reading)
            turn = Orientation(0, None)
            if not self._reads_upright(words):
                turn = await (osd if osd is not None else self._orientation(image))
                if turn.rotate:
                    # Printed sideways (or upside down): read upright, boxes turned back.
                    turned = turned or await self._turned(image, turn, langs, light)
                    image, upright, upright_reading = turned
                    if regions is not None:  # the regions of the page turned upright, then
                        _forget(regions)
                        regions = asyncio.ensure_future(self._regions(image))
                    words = tsv_words(await upright_reading)
        finally:
            # What was begun for nothing (the detection, a reading) is stopped, and its
            # Tesseract gone, before the page is done: no process outlives its page.
            begun = [osd, reading, turned[2] if turned is not None else None]
            left = [f for f in begun if f is not None and not f.done()]
            for future in left:
                future.cancel()
            if left:
                await asyncio.gather(*left, return_exceptions=True)
        if self.langs is None and (again := self._again_with(words, turn.script)):
            langs = again
            words = tsv_words(await self._tesseract(upright.data, langs, 3, thresholding=light))
        # Tables ruled on the page (found by their rules) and tables among the words (their
        # columns line up) become Markdown tables and table blocks; the page, blocks in
        # reading order; on a page scanned askew, found on it turned level.
        text, blocks = await asyncio.to_thread(_structure, words, image)
        # Grey as rendered: the layout stage shrinks it before it makes its colour copy.
        found = await regions if regions is not None else None
        if found is not None:
            assign_roles(blocks, found)
        formulas = any(b.type == "formula" for b in blocks)
        if formulas and await reread(blocks, image, langs, self._words):
            text = "\n\n".join(b.content for b in ordered(blocks))
        unrotate(blocks, turn.rotate, (upright.width, upright.height))
        return Reply(
            text=text, finish_reason="stop", blocks=blocks, image_size=(page.width, page.height)
        )

    async def read_pictures(
        self, pictures: list[PageImage]
    ) -> list[Reply | PageFailed | ImageError]:
        """Pictures of text on a page read from its text layer (a banner, a logo, a
        screenshot of a table): read as they stand, the page they are on being upright (no
        orientation detection), without the layout stage (only their text is kept), and
        all of them in one Tesseract process a pass, which loads its models once, not once
        a picture. Their words make their text as a page's do: tables ruled or aligned in
        a screenshot come out as tables; a picture whose words read as Latin is read again
        with English alone, as a page is."""
        images = [await asyncio.to_thread(p.image) for p in pictures]
        light = [SAUVOLA if await asyncio.to_thread(uneven_light, im) else OTSU for im in images]
        first = self.langs or BY_SCRIPT_DEFAULT
        langs = [first] * len(pictures)
        words = await self._batch(pictures, langs, light)
        if self.langs is None:
            again = [w if isinstance(w, PageFailed) else self._again_with(w, None) for w in words]
            redo = [i for i, a in enumerate(again) if isinstance(a, str)]
            if redo:
                more = await self._batch(
                    [pictures[i] for i in redo],
                    [again[i] for i in redo],  # type: ignore[misc]
                    [light[i] for i in redo],
                )
                for i, w in zip(redo, more, strict=True):
                    words[i], langs[i] = w, again[i]  # type: ignore[assignment]
        replies: list[Reply | PageFailed | ImageError] = []
        for picture, image, found, lang in zip(pictures, images, words, langs, strict=True):
            if isinstance(found, PageFailed):
                replies.append(found)
                continue
            if _scribbled(found):
                found = []  # a signature, a stamp's curves: no text to put in the page
            text, blocks, _ = await asyncio.to_thread(with_tables, found, image)
            if any(b.type == "formula" for b in blocks) and await reread(
                blocks, image, lang, self._words
            ):
                text = "\n\n".join(b.content for b in ordered(blocks))
            replies.append(
                Reply(
                    text=text,
                    finish_reason="stop",
                    blocks=blocks,
                    image_size=(picture.width, picture.height),
                )
            )
        return replies

    async def _batch(
        self, pictures: list[PageImage], langs: list[str], light: list[int]
    ) -> list[list[Block] | PageFailed]:
        """Each picture's words: those read alike (the same models and thresholding) in one
        Tesseract process over a list of their files."""
        found: list[list[Block] | PageFailed] = [PageFailed("not read")] * len(pictures)
        groups: dict[tuple[str, int], list[int]] = {}
        for i, key in enumerate(zip(langs, light, strict=True)):
            groups.setdefault(key, []).append(i)
        for (lang, method), members in groups.items():
            with tempfile.TemporaryDirectory(prefix="ocrkit-pictures-") as folder:
                listing = Path(folder) / "pictures.txt"
                paths = [Path(folder) / f"{k}.png" for k in range(len(members))]
                for path, i in zip(paths, members, strict=True):
                    path.write_bytes(pictures[i].data)
                listing.write_text("".join(f"{path}\n" for path in paths))
                try:
                    tsv = await self._tesseract(
                        listing, lang, 3, thresholding=method, timeout_each=len(members)
                    )
                except PageFailed as exc:
                    for i in members:
                        found[i] = exc
                    continue
            for i, page in zip(members, _tsv_pages(tsv, len(members)), strict=True):
                found[i] = tsv_words(page)
        return found

    async def _turned(
        self, image: Image.Image, turn: Orientation, langs: str, light: int, spare: bool = False
    ) -> tuple[Image.Image, PageImage, asyncio.Future[str]]:
        """The page turned upright, encoded, and its reading started (`spare`: on the chance
        that the first reading makes no sense)."""
        image = await asyncio.to_thread(image.rotate, -turn.rotate, expand=True)
        upright = await asyncio.to_thread(functools.partial(encode, image, uncompressed=True))
        reading = asyncio.ensure_future(
            self._tesseract(upright.data, langs, 3, thresholding=light, spare=spare)
        )
        return image, upright, reading

    async def _orientation(self, image: Image.Image, spare: bool = False) -> Orientation:
        """Which way up the page is and its script, from Tesseract's detection on the page
        at half size (a tenth of reading it); upright and unknown where it cannot tell."""

        if "osd" not in self._have:  # Debian's tesseract-ocr brings it; a bare build may not
            return Orientation(0, None)

        # Halved where that leaves ~150 dpi on an A4 page: less, and its confidence drops.
        scale = 2 if min(image.size) >= OSD_HALVED_FROM else 1

        def small() -> bytes:
            return encode(image.reduce(scale) if scale > 1 else image, uncompressed=True).data

        try:
            out = await self._tesseract(
                await asyncio.to_thread(small), "osd", 0, dpi=DPI // scale, spare=spare
            )
        except PageFailed:
            return Orientation(0, None)
        return parse_osd(out)

    async def _words(self, png: bytes, langs: str, psm: int) -> list[Block]:
        """A crop's words (a formula's lines): a few lines are lit evenly."""
        return tsv_words(await self._tesseract(png, langs, psm, thresholding=OTSU))

    async def _tesseract(
        self,
        image: bytes | Path,
        langs: str,
        psm: int,
        dpi: int = DPI,
        thresholding: int = OTSU,
        spare: bool = False,
        timeout_each: int = 1,
    ) -> str:
        """Tesseract's TSV for an encoded image, or for the images a list file names, one
        after the other, `timeout_each` of them (its report, for `--psm 0`); `spare`: run
        at a lower priority (work begun on the chance it is needed, which must not slow the
        reading that is)."""
        nice = ["nice", "-n", "10"] if spare and shutil.which("nice") else []
        proc = await asyncio.create_subprocess_exec(
            *nice,
            self._exe,
            str(image) if isinstance(image, Path) else "stdin",
            "stdout",
            "-l",
            langs,
            "--dpi",
            str(dpi),
            "--psm",
            str(psm),
            "-c",
            f"thresholding_method={thresholding}",
            *(["tsv"] if psm else []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        timeout = self.options.timeout * timeout_each
        data = None if isinstance(image, Path) else image
        try:
            out, err = await asyncio.wait_for(proc.communicate(data), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise PageFailed(f"tesseract took over {timeout:.0f} s") from None
        except asyncio.CancelledError:
            proc.kill()  # a reading no one waits for any more: its core is freed
            await proc.wait()
            raise
        if proc.returncode != 0:
            raise PageFailed(f"tesseract failed: {err.decode(errors='replace').strip()[:300]}")
        return out.decode("utf-8", "replace")


def _structure(words: list[Block], image: Image.Image) -> tuple[str, list[Block]]:
    """The page's text and blocks from its words (`with_tables`). A page scanned askew
    (`ocrkit.structure.skew`) has its tables found on it turned level, and every box turned
    back: the words keep the boxes they were read with."""
    angle = skew_of(words, image.width)
    if abs(angle) < MIN_SKEW:
        text, blocks, _ = with_tables(words, image)
        return text, blocks
    size = image.size
    text, blocks, _ = with_tables(turned(words, angle, size), level(image, angle))
    read = [b.model_copy(update={"bbox": w.bbox}) for b, w in zip(blocks, words, strict=False)]
    return text, [*read, *turned(blocks[len(words) :], -angle, size)]


def layout_settings() -> LayoutSettings:
    """The layout stage's settings for Tesseract's pages: one ONNX thread unless
    OCRKIT_LAYOUT_THREADS says otherwise. The stage runs while Tesseract reads the page on
    a core of its own, so a second thread only takes that core from the reading (a one-page
    scan on 2 cores: reading 2.5-2.8 s with one, 2.8-3.1 s with two; the stage as fast)."""
    from ocrkit.layout import LayoutSettings

    settings = LayoutSettings()
    if "threads" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"threads": 1})


def _forget(task: asyncio.Future) -> None:
    """Let a task run out unawaited (not cancelled: cancelling the layout stage's loading
    would leave it to load again for the next page), its failure retrieved, not logged."""
    task.add_done_callback(lambda t: t.cancelled() or t.exception())


def uneven_light(image: Image.Image) -> bool:
    """Whether the page's paper is lit unevenly (a phone photo): the lightest grey of each
    of 8 x 8 tiles (its 90th percentile: the paper between the letters) differs across the
    page by UNEVEN grey levels or more, the darkest and lightest 5% of tiles aside."""
    import numpy as np

    gray = np.asarray(image.convert("L").reduce(4), dtype=np.uint8)
    h, w = gray.shape
    if h < 8 or w < 8:
        return False
    paper = [
        np.percentile(gray[i * h // 8 : (i + 1) * h // 8, j * w // 8 : (j + 1) * w // 8], 90)
        for i in range(8)
        for j in range(8)
    ]
    return bool(np.percentile(paper, 95) - np.percentile(paper, 5) >= UNEVEN)


# Tesseract's confidence in a picture's words (of two letters or more), on average, below
# which they are what it made of a signature or a drawing ("Aud Va td, lof": 0.37), not
# text (a logo's lettering: 0.92; print in a screenshot: 0.8 and up).
SCRIBBLE_CONFIDENCE = 0.5


def _scribbled(words: list[Block]) -> bool:
    """Whether a picture's words are a scribble read as letters."""
    lettered = [
        w.confidence
        for w in words
        if w.confidence is not None and any(len(x) >= 2 for x in WORD.findall(w.content))
    ]
    return bool(lettered) and sum(lettered) / len(lettered) < SCRIBBLE_CONFIDENCE


def _tsv_pages(tsv: str, count: int) -> list[str]:
    """A TSV of `count` images read in one process as one TSV each (by its page_num)."""
    lines = tsv.splitlines()
    if not lines:
        return [""] * count
    head, *rows = lines
    pages: list[list[str]] = [[head] for _ in range(count)]
    for row in rows:
        cols = row.split("\t", 2)
        if len(cols) > 1 and cols[1].isdigit() and 1 <= int(cols[1]) <= count:
            pages[int(cols[1]) - 1].append(row)
    return ["\n".join(page) for page in pages]


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
    return cyrillic_look_alikes(roman_numerals(words))


# Latin letters Tesseract's rus+eng models read for the Cyrillic letters they look like.
_TO_CYRILLIC = str.maketrans("aceopxykmnABCEHKMOPTXY", "асеорхукмпАВСЕНКМОРТХУ")


def cyrillic_look_alikes(words: list[Block]) -> list[Block]:
    """Tesseract's rus+eng models read a short Russian word now and then as Latin look-alike
    letters ("Итого no разделу" for "по"). A word of such letters only, between Cyrillic
    words on its line (the nearest with letters either side), that spelt in Cyrillic is a
    Russian word, is that word."""
    out = list(words)
    for i, word in enumerate(words):
        letters = "".join(WORD.findall(word.content))
        cyrillic = letters.translate(_TO_CYRILLIC)
        if not letters or any(script_of(c) != "latin" for c in letters):
            continue
        if any(script_of(c) != "cyrillic" for c in cyrillic):
            continue  # a letter with no look-alike: a Latin word
        if cyrillic.lower() not in lexicon("ru"):
            continue
        line = [w for w in words if w.metadata.get("line") == word.metadata.get("line")]
        at = line.index(word)
        lettered = [(k, w) for k, w in enumerate(line) if k != at and WORD.search(w.content)]
        beside = [w for k, w in lettered if k < at][-1:] + [w for k, w in lettered if k > at][:1]
        if beside and all(word_script(WORD.findall(w.content)[0]) == "cyrillic" for w in beside):
            out[i] = word.model_copy(update={"content": word.content.replace(letters, cyrillic)})
    return out


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
