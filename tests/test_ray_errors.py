"""`ocrkit --ray` where there is no cluster: a clear error at once, nothing written (the
cluster itself: tests/test_ray_cluster.py)."""

from __future__ import annotations

from pathlib import Path

from harness.cli import SAMPLE, env, ocrkit
from harness.servers import free_port


def test_a_head_that_does_not_answer_is_a_clear_error(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    out = tmp_path / "out.md"
    # The guard is far above the 10 s connect limit; Ray alone would retry for minutes.
    proc = ocrkit(SAMPLE, "--ray", address, "-o", out, environ=env(tmp_path), timeout=120)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith(f"ocrkit: error: no Ray cluster at {address}: ")
    )
    assert not out.exists()


def test_an_address_that_is_not_host_port_is_a_clear_error(tmp_path: Path) -> None:
    proc = ocrkit(SAMPLE, "--ray", "head-node", environ=env(tmp_path), timeout=120)
    assert proc.returncode == 2
    assert "ocrkit: error: --ray head-node: not HOST:PORT" in proc.stderr
