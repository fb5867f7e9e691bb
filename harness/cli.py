"""Running the `ocrkit` command as a user does, for the tests and the benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from harness.servers import REPO

OCRKIT = Path(sys.executable).parent / "ocrkit"
SAMPLE = REPO / "samples" / "prospectus_ru.pdf"


def env(tmp: Path, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "OCRKIT_CACHE_DIR": str(tmp / "cache"), **extra}


def ocrkit(
    *args: str | Path, environ: dict[str, str], exe: Path = OCRKIT, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *map(str, args)], env=environ, capture_output=True, text=True, timeout=timeout
    )


def pages_of(path: Path) -> list[dict]:
    return json.loads(path.read_text())["pages"]


class Background:
    """ocrkit running in the background, its per-page log lines counted as they come."""

    def __init__(self, args: list[str | Path], environ: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [str(OCRKIT), *map(str, args)],
            env=environ,
            text=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def pages_done(self) -> int:
        return sum(" page " in line for line in self.lines)

    def pause(self) -> None:
        """Freeze the run (SIGSTOP), so that what happens next surely falls inside it."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def wait_for_pages(self, n: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.pages_done() < n:
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.05)

    def finish(self, timeout: float = 900) -> int:
        code = self.proc.wait(timeout)
        self.reader.join(120)  # every line it printed is read before pages are counted
        assert not self.reader.is_alive(), "ocrkit's output was not read to its end"
        return code


def json_run(
    pdf: Path, url: str, out: Path, environ: dict[str, str], concurrency: int = 4
) -> Background:
    """ocrkit reading `pdf` through the OpenAI-compatible server at `url` into JSON `out`,
    four tokens a page, in the background."""
    args: list[str | Path] = [pdf, "--engine", "openai", "--url", url]
    args += ["--concurrency", str(concurrency), "--max-tokens", "4", "--format", "json", "-o", out]
    return Background(args, environ)
