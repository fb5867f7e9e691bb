"""OCR engines, one module each, behind one interface (`Engine`)."""

from __future__ import annotations

import asyncio
import importlib.util

import httpx

from ocrkit.engines.base import Engine, ModelEngine, Reply
from ocrkit.engines.legacy import LegacyEngine
from ocrkit.engines.openai_api import OpenAIEngine, v1_url
from ocrkit.engines.tesseract import TesseractEngine
from ocrkit.engines.vllm_local import VllmEngine
from ocrkit.errors import EngineUnavailable
from ocrkit.options import OcrOptions

ENGINES: dict[str, type[Engine]] = {
    e.name: e for e in (OpenAIEngine, LegacyEngine, VllmEngine, TesseractEngine)
}

__all__ = ["ENGINES", "Engine", "ModelEngine", "Reply", "choose_engine"]


async def choose_engine(
    options: OcrOptions, *, allow: tuple[str, ...] = ("openai", "vllm", "tesseract")
) -> tuple[Engine, str]:
    """The engine `options.engine` names, or for `auto` the first that can run here: the
    server if it answers, else in-process vLLM with a GPU, else Tesseract. Returns it with
    the reason for the choice."""
    if options.engine != "auto":
        return ENGINES[options.engine](options), f"--engine {options.engine}"
    reasons = []
    if "openai" in allow:
        url = v1_url(options.url) + "/models"
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(3, connect=2)) as client:
                status = (await client.get(url)).status_code
        except httpx.HTTPError as exc:
            reasons.append(f"no server at {options.url} ({type(exc).__name__})")
        else:
            if status in (200, 401, 403):  # a key problem is reported by the engine itself
                return OpenAIEngine(options), f"server at {options.url} answers"
            reasons.append(f"server at {options.url} answered {status}")
    if "vllm" in allow:
        why = await asyncio.to_thread(_local_vllm_blocker)  # importing torch takes seconds
        if why is None:
            return VllmEngine(options), "; ".join([*reasons, "vLLM and a GPU are here"])
        reasons.append(why)
    if "tesseract" in allow:
        return TesseractEngine(options), "; ".join([*reasons, "using Tesseract on the CPU"])
    raise EngineUnavailable("no engine can run: " + "; ".join(reasons))


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
