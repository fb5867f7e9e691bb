"""The launch record: what `serving run` decided (model, GPU, attention backend, command
line). The launcher writes it to SERVING_PLAN_FILE; the adapter reads it back for /health
and /info. One typed record for both sides, so neither reads the other's dict keys."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ValidationError

Build = Literal["cuda", "cpu", "none"]
FlashAttentionMode = Literal["auto", "true", "false"]
# vLLM 0.12 replaced the VLLM_ATTENTION_BACKEND variable with --attention-backend and
# --mm-encoder-attn-backend (vllm-project/vllm#26315); newer versions ignore the variable.
ATTENTION_FLAGS_SINCE = Version("0.12.0")
_SECRET_ENV = ("KEY", "TOKEN", "SECRET", "PASSWORD")
_SECRET_FLAGS = ("--api-key",)
REDACTED = "***"


class Gpu(BaseModel):
    index: int
    name: str
    capability: tuple[int, int]
    memory_gb: float | None = None

    @property
    def capability_str(self) -> str:
        return f"{self.capability[0]}.{self.capability[1]}"


class VllmInstall(BaseModel):
    version: str | None
    build: Build

    @property
    def uses_attention_flags(self) -> bool:
        if self.version is None:  # planning for a machine we are not on: assume current vLLM
            return True
        try:
            return Version(self.version).release >= ATTENTION_FLAGS_SINCE.release
        except InvalidVersion:
            return True


class AttentionDecision(BaseModel):
    mode: FlashAttentionMode
    platform: Literal["cuda", "cpu"]
    backend: str | None
    encoder_backend: str | None
    flash_attention: bool
    verified: bool
    reason: str
    warnings: list[str] = []


class Plan(BaseModel):
    profile: str
    model: str
    served_model_name: str
    vllm: VllmInstall
    gpu: Gpu | None
    gpu_source: str
    attention: AttentionDecision
    argv: list[str]
    env: dict[str, str]

    def public(self) -> Plan:
        """The plan with secrets masked: what may be printed, logged or written to disk."""
        env = {
            k: REDACTED if any(s in k.upper() for s in _SECRET_ENV) else v
            for k, v in self.env.items()
        }
        argv = list(self.argv)
        for i, arg in enumerate(argv):
            if arg in _SECRET_FLAGS and i + 1 < len(argv):
                argv[i + 1] = REDACTED
            elif arg.startswith(tuple(f"{f}=" for f in _SECRET_FLAGS)):
                argv[i] = arg.split("=", 1)[0] + "=" + REDACTED
        return self.model_copy(update={"env": env, "argv": argv})

    def write(self, path: str | Path) -> None:
        """Record the decision (redacted); atomic, so readers never see half a file."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(self.public().model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(target)

    @classmethod
    def read(cls, path: str | Path) -> Plan | None:
        """The recorded plan, or None when there is none or it cannot be read."""
        try:
            return cls.model_validate_json(Path(path).read_bytes())
        except (OSError, ValidationError):
            return None
