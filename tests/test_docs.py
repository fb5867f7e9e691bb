"""The commands the docs show, run as written where they can run here. Those that need a
server or a GPU are run by the tests that start one (named beside each skipped line); the
README's main job by tests/test_cli_tesseract.py, the compose commands by
tests/test_compose_e2e.py (tests/test_deploy.py ties docs/deployment.md's table to them)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.servers import REPO

BIN = Path(sys.executable).parent
SAMPLES = REPO / "samples"
# Lines that need what this machine's fast loop has not: where they are run instead.
ELSEWHERE = {
    "--url http://gpu-box": "a server: tests/test_client_servers.py",
    "--ocr-service qwen_remote": "a server: tests/test_client_servers.py",
    "serving run": "starts vLLM: the session's qwen_server (tests/conftest.py)",
    "serving probe": "the vLLM environment: tests/test_probe.py",
}


def commands(doc: str, first_word: str) -> list[str]:
    """The lines of the doc's bash blocks that start with `first_word`, comments cut."""
    text = (REPO / "docs" / doc).read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split(" #")[0].strip()
            if line.startswith(first_word + " "):
                lines.append(line)
    return lines


def runnable(lines: list[str]) -> list[str]:
    return [line for line in lines if not any(key in line for key in ELSEWHERE)]


def run(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(line)
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "OCRKIT_CACHE_DIR": str(cwd / ".cache")}
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**env, "HOME": os.environ.get("HOME", str(cwd))},
    )


@pytest.mark.slow  # Tesseract reads the scanned pages
def test_the_client_commands_run_as_written(tmp_path: Path) -> None:
    lines = commands("client.md", "ocrkit")
    assert len(lines) >= 7 and len(runnable(lines)) >= 5  # the doc still shows them
    # The files the examples name: born-digital and scanned samples.
    for name in ("doc.pdf", "report.pdf"):
        shutil.copy(SAMPLES / "prospectus_ru.pdf", tmp_path / name)
    shutil.copy(SAMPLES / "prospectus_ru_scan.pdf", tmp_path / "scan.pdf")
    (tmp_path / "scans").mkdir()
    shutil.copy(SAMPLES / "prospectus_ru_scan.pdf", tmp_path / "scans" / "a.pdf")
    (tmp_path / "samples").symlink_to(SAMPLES)
    for line in runnable(lines):
        proc = run(line, tmp_path)
        assert proc.returncode == 0, (line, proc.stderr[-2000:])
    # What the comments promise.
    assert (tmp_path / "doc_OCR.md").read_text().strip()
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"a_OCR.json", "report_OCR.json"}
    assert (tmp_path / "scan_OCR.pdf").read_bytes().startswith(b"%PDF")
    assert "<html" in (tmp_path / "scan_OCR.html").read_text()
    assert "<html" in (tmp_path / "review.html").read_text()


def test_the_serving_commands_run_as_written(tmp_path: Path) -> None:
    lines = commands("models.md", "serving")
    assert len(lines) == 5 and len(runnable(lines)) == 3
    for line in runnable(lines):
        proc = run(line, tmp_path)
        assert proc.returncode == 0, (line, proc.stderr[-2000:])
        assert proc.stdout.strip(), line
