"""The shipped deployment, driven as a user drives it: `docker compose` commands run
verbatim in the repository, with `.env` as shipped. Only what a machine without a GPU and
without Docker Hub cannot have comes from docker/ci/compose.override.yaml (named through
COMPOSE_FILE, so the commands themselves are those of docs/deployment.md), and the weights
come from a folder of tiny models through MODELS_DIR, as on an air-gapped host.

Used by tests/test_compose_e2e.py and bench/deployment.py; needs scripts/install-docker.sh."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.servers import REPO, build_tiny_model

BASE_IMAGE = os.environ.get("CI_BASE_IMAGE", "ocrkit-ci/base:bookworm")
OVERRIDE = "docker/ci/compose.override.yaml"
MODELS = REPO / ".cache" / "compose-models"
# Tiny random-weight stand-ins, stored under the real model ids the profiles name.
MODEL_IDS = {
    "Qwen/Qwen2-VL-2B-Instruct": "qwen2-vl",
    "Qwen/Qwen2-VL-7B-Instruct": "qwen2-vl",
    "deepseek-ai/DeepSeek-OCR": "deepseek-ocr",
    "deepseek-ai/DeepSeek-OCR-2": "deepseek-ocr-2",
    "zai-org/GLM-OCR": "glm-ocr",
    "PaddlePaddle/PaddleOCR-VL-1.5": "paddleocr-vl",
}


@dataclass(frozen=True)
class Profile:
    """One documented profile: the documented command (docs/deployment.md) and what it starts."""

    name: str
    up: list[str]  # the documented `docker compose ... up -d` (docs/deployment.md)
    port: int
    adapter: str
    vllm: list[str]
    model: str  # the served model name clients see
    family: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def model_profile(self) -> str:
        """The ocrkit profile (configs/) this compose profile serves."""
        return {
            "default": "qwen2-vl-2b",
            "large": "qwen2-vl-7b",
            "deepseek": "deepseek-ocr",
            "deepseek-safe": "deepseek-ocr",
            "cpu": "qwen2-vl-2b",
            "scale": "qwen2-vl-7b",
        }.get(self.name, self.name)

    @property
    def selection(self) -> list[str]:
        return [] if self.name == "default" else ["--profile", self.name]

    @property
    def services(self) -> list[str]:
        """What its documented command starts."""
        return [self.adapter, *self.vllm, *(["router"] if self.name == "scale" else [])]


PROFILES = {
    p.name: p
    for p in [
        Profile(
            "default",
            ["up", "-d"],
            8001,
            "qwen-vlm-service",
            ["vllm-qwen-2b"],
            "Qwen/Qwen2-VL-2B-Instruct",
            "qwen",
        ),
        Profile(
            "large",
            ["--profile", "large", "up", "-d"],
            8001,
            "qwen-vlm-service-7b",
            ["vllm-qwen-7b"],
            "Qwen/Qwen2-VL-7B-Instruct",
            "qwen",
        ),
        Profile(
            "deepseek",
            ["--profile", "deepseek", "up", "-d"],
            8000,
            "deepseek-ocr-service",
            ["vllm-deepseek"],
            "deepseek-ai/DeepSeek-OCR",
            "deepseek",
        ),
        Profile(
            "deepseek-safe",
            ["--profile", "deepseek-safe", "up", "-d"],
            8000,
            "deepseek-ocr-service-safe",
            ["vllm-deepseek-safe"],
            "deepseek-ai/DeepSeek-OCR",
            "deepseek",
        ),
        *(
            Profile(
                name,
                ["--profile", name, "up", "-d"],
                8000,
                f"{name}-service",
                [f"vllm-{name}"],
                model,
                family,
            )
            for name, model, family in (
                ("glm-ocr", "zai-org/GLM-OCR", "prompt-type"),
                ("paddleocr-vl", "PaddlePaddle/PaddleOCR-VL-1.5", "prompt-type"),
                # DeepSeek-OCR's full-size vision towers: as slow on a CPU as DeepSeek-OCR.
                ("deepseek-ocr-2", "deepseek-ai/DeepSeek-OCR-2", "deepseek"),
            )
        ),
        Profile(
            "cpu",
            ["--profile", "cpu", "up", "-d"],
            8001,
            "qwen-vlm-service-cpu",
            ["vllm-cpu"],
            "Qwen/Qwen2-VL-2B-Instruct",
            "qwen",
        ),
        Profile(
            "scale",
            ["--profile", "scale", "up", "-d"],
            8001,
            "qwen-vlm-service-scale",
            ["vllm-replica-0", "vllm-replica-1"],
            "Qwen/Qwen2-VL-7B-Instruct",
            "qwen",
        ),
    ]
}


@functools.cache
def models_dir() -> Path:
    """MODELS_DIR for the stack: readable by the containers' non-root users."""
    for model_id, kind in MODEL_IDS.items():
        target = MODELS / model_id
        if not (target / "config.json").exists():
            built = build_tiny_model(kind, REPO / ".cache" / "tiny-models" / kind)
            shutil.copytree(built, target, dirs_exist_ok=True)
    for path in [MODELS, *MODELS.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return MODELS


def compose_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "COMPOSE_FILE": f"compose.yaml{os.pathsep}{OVERRIDE}",
        "CI_BASE_IMAGE": BASE_IMAGE,
        "MODELS_DIR": str(models_dir()),
        **extra,
    }


def compose(
    *args: str, check: bool = True, timeout: float = 1800, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["docker", "compose", *args],
        cwd=REPO,
        env=env or compose_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"docker compose {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc


def docker(*args: str, check: bool = True, timeout: float = 300) -> str:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout.strip()


def container(service: str) -> str:
    return compose("ps", "-q", "--all", service).stdout.strip()


def wait_healthy(url: str, timeout: float = 1200) -> dict:
    """Poll the adapter's /health as a client does: up only on 200 and "healthy"."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            r = httpx.get(url + "/health", timeout=5)
            if r.status_code == 200 and r.json().get("status") == "healthy":
                return r.json()
            last = f"{r.status_code} {r.text}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(2)
    raise TimeoutError(f"{url}/health not healthy after {timeout} s: {last}")


def logs(services: list[str] | None = None, tail: int = 60) -> str:
    args = ("--profile", "*", "logs", "--no-color", f"--tail={tail}", *(services or []))
    return compose(*args, check=False).stdout


def plan_of(vllm_service: str) -> dict:
    out = compose("exec", "-T", vllm_service, "cat", "/run/ocrkit/plan.json").stdout
    return json.loads(out)


def remove(profile: Profile, timeout: float = 300) -> None:
    """Stop and remove one profile's containers, leaving any other profile running (`down`
    would take the project's network from under them)."""
    compose(*profile.selection, "rm", "--stop", "--force", *profile.services, timeout=timeout)


def down(timeout: float = 300) -> float:
    """`docker compose down` over every profile; the seconds it took."""
    started = time.monotonic()
    compose("--profile", "*", "down", "--remove-orphans", timeout=timeout)
    return time.monotonic() - started
