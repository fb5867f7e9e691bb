"""Client options: every CLI flag, each also read from OCRKIT_<OPTION> (OCRKIT_LANGUAGE,
OCRKIT_MAX_TOKENS, ...) and the seed client's QWEN_REMOTE_URL; nothing unprefixed.

An unknown option is an error (`OcrOptions(engnie="openai")` raises). The server side's
settings (SERVING_PROFILE, SERVED_MODEL_NAME, ...) are not read here: the client names its
profile with OCRKIT_PROFILE and the server's model name with OCRKIT_MODEL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ocrkit.model.quality import RETRY_TEMPERATURES
from ocrkit.model.settings import EnvSettings
from ocrkit.pdf.gate import Route

EngineName = Literal["auto", "openai", "legacy", "vllm", "tesseract"]
VlmMode = Literal["auto", "page", "elements"]
LayoutUse = Literal["auto", "on", "off"]
Language = Literal["russian", "english", "auto"]
# Marks the options that are also command-line flags (the rest: environment or library only).
CLI = {"cli": True}


class OcrOptions(EnvSettings):
    # Read from the environment only as OCRKIT_<OPTION> (or a documented alias): a desktop's
    # LANGUAGE=en_US:en or a stray MAX_TOKENS must never reach an option.
    model_config = SettingsConfigDict(extra="forbid", env_prefix="OCRKIT_")

    # `description` is the option's --help text; fields marked CLI are the command's flags
    # (ocrkit/cli.py builds them from here, names, choices and ranges included).
    engine: EngineName = Field(
        "auto",
        description="auto: the server if it answers, else in-process vLLM, else Tesseract.",
        json_schema_extra=CLI,
    )
    profile: str = Field(
        "qwen2-vl-2b",
        description="Model profile (configs/, and $OCRKIT_CONFIGS folders).",
        json_schema_extra=CLI,
    )
    url: str = Field(
        "http://localhost:8001",
        validation_alias=AliasChoices("OCRKIT_URL", "QWEN_REMOTE_URL"),
        description="Server URL (also $QWEN_REMOTE_URL, the old client's name).",
        json_schema_extra=CLI,
    )
    api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OCRKIT_API_KEY", "OPENAI_API_KEY")
    )
    model: str | None = Field(
        None,
        description="The model's name on the server (default: the profile's).",
        json_schema_extra=CLI,
    )
    language: Language | None = Field(
        None,
        description="Picks the prompt where the profile's prompts are keyed by language "
        "(Qwen2-VL; unset: the profile's default, Russian) and Tesseract's models (unset: "
        "each page's script picks them: Cyrillic rus+eng, Latin eng, Hangul kor, ...).",
        json_schema_extra=CLI,
    )
    route: Route = Field(
        "auto",
        description="Where a PDF page's text comes from (see below).",
        json_schema_extra=CLI,
    )
    keep_furniture: bool = Field(
        False,
        description="Keep running headers, footers and page numbers in the text (they are "
        "always in the JSON blocks).",
        json_schema_extra=CLI,
    )
    vlm_mode: VlmMode = Field(
        "auto",
        description="auto: as the profile's authors measured it (GLM-OCR, PaddleOCR-VL: "
        "elements); elements: the layout stage finds regions and each is read with its "
        "task prompt; page: the whole page in one request.",
        json_schema_extra=CLI,
    )
    layout: LayoutUse = Field(
        "auto",
        description="The layout stage (ocrkit[layout]) on Tesseract pages: paragraphs take "
        "the role of the region they lie in (title, formula, caption, footnote, figure). "
        "auto: where it is installed; on: required; off.",
        json_schema_extra=CLI,
    )
    prompt_type: str | None = Field(
        None,
        description="A prompt of the profile by name, for profiles with prompt types "
        "(DeepSeek-OCR: ocr_simple, markdown, free, ...); the language picks it for the others.",
        json_schema_extra=CLI,
    )
    prompt: str | None = Field(
        None, description="Your own prompt instead of the profile's.", json_schema_extra=CLI
    )
    max_tokens: int | None = Field(
        None,
        gt=0,
        description="Tokens a page may take (default: the profile's).",
        json_schema_extra=CLI,
    )
    concurrency: int | None = Field(
        None,
        gt=0,
        description="Pages in flight (default 32 for servers, 64 in-process, one per core for "
        "Tesseract).",
        json_schema_extra=CLI,
    )
    # Processes that read text-layer pages (0: none, every page read in the run's own
    # process; unset: one per core where a run has pages enough: `ocrkit.layer_workers`).
    text_workers: int | None = Field(None, ge=0)
    timeout: float = Field(300, gt=0, description="Seconds per request.", json_schema_extra=CLI)
    # How long a page keeps retrying a server that went away (restart, overload).
    retry_budget: float = Field(300, ge=0)
    # Extra attempts, at rising temperature, for a reply that loops or hits max_tokens.
    quality_retries: int = Field(2, ge=0, le=len(RETRY_TEMPERATURES))
    resume: bool = Field(
        True, description="Redo pages finished by an earlier run.", json_schema_extra=CLI
    )
    cache_dir: Path = Field(Path.home() / ".cache" / "ocrkit")
    ray_address: str | None = Field(
        None,
        description="Read the pages on this running Ray cluster (HOST:PORT of its head, or "
        "auto on one of its nodes; needs ocrkit[ray]). The inputs and $OCRKIT_CACHE_DIR must "
        "be on storage every node sees.",
        json_schema_extra={"cli": True, "flag": "--ray"},
    )
    # A Ray task's CPUs per page (unset: the engine's, 1 for Tesseract, less for a server).
    ray_cpus_per_page: float | None = Field(None, gt=0)
