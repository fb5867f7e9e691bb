"""Tesseract 5 on the CPU: the embedded default on a machine with no GPU and no server."""

from __future__ import annotations

import asyncio
import os
import shutil

from ocrkit.engines.base import Engine, Reply
from ocrkit.errors import EngineUnavailable, PageFailed
from ocrkit.images import PageImage
from ocrkit.sources import RenderTarget

LANGUAGES = {"russian": "rus+eng", "english": "eng", "auto": "rus+eng"}
DPI = 300  # Tesseract is trained on ~300 dpi text


class TesseractEngine(Engine):
    name = "tesseract"
    # One single-threaded process per core beats one multi-threaded process per page.
    default_concurrency = os.cpu_count() or 1

    @property
    def target(self) -> RenderTarget:
        return RenderTarget(dpi=DPI, grayscale=True, jpeg_quality=None)

    @property
    def langs(self) -> str:
        return LANGUAGES[self.options.language]

    def cache_settings(self) -> dict[str, object]:
        return {**super().cache_settings(), "langs": self.langs}

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

    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        proc = await asyncio.create_subprocess_exec(
            self._exe,
            "stdin",
            "stdout",
            "-l",
            self.langs,
            "--dpi",
            str(DPI),
            "--psm",
            "3",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(page.data), self.options.timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise PageFailed(f"tesseract took over {self.options.timeout:.0f} s") from None
        if proc.returncode != 0:
            raise PageFailed(f"tesseract failed: {err.decode(errors='replace').strip()[:300]}")
        return Reply(text=out.decode("utf-8", "replace").strip(), finish_reason="stop")


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
