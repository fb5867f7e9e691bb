"""Model profiles: everything the stack knows about one model, loaded from `configs/*.toml`.

The serving launcher reads the `vllm` part, the adapter and the client read the `client`
part; keeping both in one file means one place to change when a model is added.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ocrkit.errors import ProfileError
from ocrkit.layout.regions import Role
from ocrkit.model.postprocess import POSTPROCESSORS
from ocrkit.model.settings import ConfigSettings

# Searched in order after $OCRKIT_CONFIGS; the first file named `<profile>.toml` wins.
_PACKAGED = Path(__file__).parent.parent / "_configs"
_SOURCE_TREE = Path(__file__).resolve().parents[2] / "configs"


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
    max_num_batched_tokens: int | None = Field(None, gt=0)
    speculative_config: dict[str, Any] | None = Field(
        None, description="vLLM's --speculative-config, e.g. GLM-OCR's own MTP layers."
    )
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
    """How a client talks to the model: prompts, sampling, per-request extras, and what
    its replies need to become clean text."""

    prompts: dict[str, str] = Field(min_length=1)
    default_prompt: str
    prompt_by: Literal["language", "type"] = Field(
        description="What picks the prompt: the page's language (Qwen-style legacy /ocr with "
        "`language`) or a prompt type (DeepSeek-style /ocr with `prompt_type`, /ocr/figure)."
    )
    postprocess: str = Field(
        "plain", description="How a reply becomes clean text and blocks (ocrkit.model.postprocess)."
    )
    sampling: Sampling = Sampling()
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="Merged into every chat-completion request (e.g. vllm_xargs).",
    )
    min_pixels: int | None = Field(None, gt=0)
    max_pixels: int | None = Field(None, gt=0)
    elements: dict[Role, str] = Field(
        default_factory=dict,
        description="Element-level mode: the prompt each layout role is read with (text, "
        "title, table, formula, ...); a role not listed is not read (figures, furniture).",
    )

    @model_validator(mode="after")
    def _names_exist(self) -> ClientSpec:
        if self.default_prompt not in self.prompts:
            raise ValueError(
                f"default_prompt {self.default_prompt!r} is not one of {sorted(self.prompts)}"
            )
        unknown = {key for key in self.elements.values() if key not in self.prompts}
        if unknown:
            raise ValueError(f"elements name prompts {sorted(unknown)} not in prompts")
        if self.postprocess not in POSTPROCESSORS:
            raise ValueError(
                f"postprocess {self.postprocess!r} is not one of {sorted(POSTPROCESSORS)}"
            )
        return self


class Mode(_Strict):
    """What a profile runs, and what its authors measured: a score is only claimed for the
    mode it was measured in."""

    mode: Literal["full-page", "element-level"] = Field(
        description="full-page: the whole page in one request, as ocrkit sends it; "
        "element-level: the model expects crops from a layout detector in front of it."
    )
    note: str = ""


class ModelProfile(_Strict):
    name: str
    description: str
    params: str = Field("", description="Model size, for the model table (e.g. 0.9B).")
    languages: str = Field("", description="Languages the model's authors list.")
    mode: Mode = Mode(mode="full-page")
    family: Literal["qwen2-vl", "deepseek-ocr", "glm-ocr", "paddleocr-vl"]
    model_setting: Literal["qwen_model", "deepseek_model", "serving_model"] = Field(
        "serving_model",
        description="Which setting overrides vllm.model besides SERVING_MODEL: QWEN_MODEL or "
        "DEEPSEEK_MODEL, the original deployment's names.",
    )
    adapter_port: int = Field(description="Port of the legacy API for this model (8001 / 8000).")
    vram_gb: float = Field(gt=0, description="Rough VRAM the deployment needs.")
    vllm: VllmSpec
    client: ClientSpec


def config_dirs() -> list[Path]:
    """Folders searched for profiles: $OCRKIT_CONFIGS (os.pathsep-separated), then built-ins."""
    return [*ConfigSettings().folders, *(d for d in (_SOURCE_TREE, _PACKAGED) if d.is_dir())]


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
