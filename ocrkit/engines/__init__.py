"""OCR engines, one module each, behind one interface (`Engine`).

An engine's module is imported when the engine is first asked for: a run on Tesseract, or
one that reads every page from its text layer, does not load the HTTP stack.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
from collections.abc import Iterator, Mapping

from ocrkit.engines.base import Engine, ModelEngine, Reply
from ocrkit.errors import EngineUnavailable
from ocrkit.options import OcrOptions

_WHERE = {
    "openai": ("ocrkit.engines.openai_api", "OpenAIEngine"),
    "legacy": ("ocrkit.engines.legacy", "LegacyEngine"),
    "vllm": ("ocrkit.engines.vllm_local", "VllmEngine"),
    "tesseract": ("ocrkit.engines.tesseract", "TesseractEngine"),
}


class _Engines(Mapping[str, type[Engine]]):
    """Engine name -> class, each module imported on first use."""

    def __getitem__(self, name: str) -> type[Engine]:
        module, cls = _WHERE[name]
        return getattr(importlib.import_module(module), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


ENGINES: Mapping[str, type[Engine]] = _Engines()

__all__ = ["ENGINES", "Engine", "ModelEngine", "Reply", "choose_engine"]


async def choose_engine(
    options: OcrOptions, *, allow: tuple[str, ...] = ("openai", "vllm", "tesseract")
) -> tuple[Engine, str]:
    """The engine `options.engine` names, or for `auto` the first that can run here: the
    server if it answers, else in-process vLLM with a GPU, else Tesseract. Returns it with
    the reason for the choice. Engine modules are imported in a thread: the HTTP stack
    takes a tenth of a second to import, which the event loop must not wait for."""
    if options.engine != "auto":
        return (await _load(options.engine))(options), f"--engine {options.engine}"
    reasons = []
    if "openai" in allow:
        openai = await _load("openai")
        probe = await asyncio.to_thread(importlib.import_module, "ocrkit.engines._probe")
        status, error = await probe.models_status(options.url)
        if error is None and status in (200, 401, 403):  # a key problem: the engine says
            return openai(options), f"server at {options.url} answers"
        reasons.append(error or f"server at {options.url} answered {status}")
    if "vllm" in allow:
        why = await asyncio.to_thread(_local_vllm_blocker)  # importing torch takes seconds
        if why is None:
            engine = await _load("vllm")
            return engine(options), "; ".join([*reasons, "vLLM and a GPU are here"])
        reasons.append(why)
    if "tesseract" in allow:
        engine = await _load("tesseract")
        return engine(options), "; ".join([*reasons, "using Tesseract on the CPU"])
    raise EngineUnavailable("no engine can run: " + "; ".join(reasons))


async def _load(name: str) -> type[Engine]:
    return await asyncio.to_thread(ENGINES.__getitem__, name)


def _local_vllm_blocker() -> str | None:
    if importlib.util.find_spec("vllm") is None:
        return "vLLM is not installed"
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU"
    return None
