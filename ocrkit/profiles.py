"""Model profiles: everything the stack knows about one model, loaded from `configs/*.toml`.

The serving launcher reads the `vllm` part, the adapter and the client read the `client`
part; keeping both in one file means one place to change when a model is added.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# Searched in order; the first file named `<profile>.toml` wins.
CONFIGS_ENV = "OCRKIT_CONFIGS"
_PACKAGED = Path(__file__).parent / "_configs"
_SOURCE_TREE = Path(__file__).resolve().parent.parent / "configs"


class ProfileError(ValueError):
    """A profile is unknown or its file is invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VllmSpec(_Strict):
    """What `vllm serve` needs. Field names follow vLLM's engine arguments."""

    model: str
    served_model_name: str | None = Field(
        None, description="Defaults to `model`, so the legacy `model` field keeps the HF id."
    )
    max_model_len: int = Field(gt=0)
    limit_mm_per_prompt: dict[str, int] = Field(default_factory=lambda: {"image": 1, "video": 0})
    mm_processor_kwargs: dict[str, Any] = Field(default_factory=dict)
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    max_num_seqs: int = Field(64, gt=0)
    enable_prefix_caching: bool = True
    mm_processor_cache_gb: float | None = Field(None, ge=0)
    logits_processors: list[str] = Field(default_factory=list)
    kv_cache_dtype: str = "auto"
    dtype: str = "auto"
    trust_remote_code: bool = False
    env: dict[str, str] = Field(
        default_factory=dict, description="Environment the vLLM process needs for this model."
    )
    extra_args: list[str] = Field(default_factory=list)


class Sampling(_Strict):
    temperature: float = Field(0.0, ge=0)
    max_tokens: int = Field(2048, gt=0)


class ClientSpec(_Strict):
    """How a client talks to the model: prompts, sampling and per-request extras."""

    prompts: dict[str, str] = Field(min_length=1)
    default_prompt: str
    sampling: Sampling = Sampling()
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="Merged into every chat-completion request (e.g. vllm_xargs).",
    )
    min_pixels: int | None = Field(None, gt=0)
    max_pixels: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _default_prompt_exists(self) -> ClientSpec:
        if self.default_prompt not in self.prompts:
            raise ValueError(
                f"default_prompt {self.default_prompt!r} is not one of {sorted(self.prompts)}"
            )
        return self


class ModelProfile(_Strict):
    name: str
    description: str
    family: Literal["qwen2-vl", "deepseek-ocr"]
    model_setting: Literal["qwen_model", "deepseek_model"] = Field(
        description="Which setting (QWEN_MODEL / DEEPSEEK_MODEL) overrides vllm.model."
    )
    adapter_port: int = Field(description="Port of the legacy API for this model (8001 / 8000).")
    vram_gb: float = Field(gt=0, description="Rough VRAM the deployment needs.")
    vllm: VllmSpec
    client: ClientSpec


def config_dirs() -> list[Path]:
    """Folders searched for profiles: $OCRKIT_CONFIGS (os.pathsep-separated), then built-ins."""
    extra = [Path(p) for p in os.environ.get(CONFIGS_ENV, "").split(os.pathsep) if p]
    return [*extra, *(d for d in (_SOURCE_TREE, _PACKAGED) if d.is_dir())]


def list_profiles() -> list[str]:
    names = {p.stem for d in config_dirs() for p in d.glob("*.toml")}
    return sorted(names)


def load_profile(name: str) -> ModelProfile:
    for folder in config_dirs():
        path = folder / f"{name}.toml"
        if path.is_file():
            return _load_file(path)
    known = ", ".join(list_profiles()) or "none found"
    raise ProfileError(f"unknown profile {name!r}; known profiles: {known}")


@cache
def _load_file(path: Path) -> ModelProfile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return ModelProfile.model_validate({"name": path.stem, **data})
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ProfileError(f"invalid profile {path}: {exc}") from exc
