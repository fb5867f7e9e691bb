"""The legacy DeepSeek-OCR service API: /ocr with a prompt type, /ocr/figure, /prompts.

Every request carries the profile's `vllm_xargs` and `skip_special_tokens: false` (added
by the shared request builder): without them vLLM's n-gram repetition guard does nothing.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile

from adapter.state import AdapterState, get_state
from adapter.wire import DeepseekOcrRequest, DeepseekOcrResponse, FigureResponse, Prompts
from ocrkit.grounding import parse_grounding, to_markdown
from ocrkit.images import PageImage
from ocrkit.request import build_chat_request

router = APIRouter()


async def _run(
    state: AdapterState,
    page: PageImage,
    prompt_type: str,
    custom_prompt: str | None,
    max_tokens: int | None,
) -> tuple[dict[str, Any], float]:
    body = build_chat_request(
        state.profile,
        page.data_uri(),
        model=state.model,
        prompt_key=prompt_type,
        prompt=custom_prompt,
        max_tokens=max_tokens or state.default_max_tokens,
    )
    started = time.perf_counter()
    reply = await state.upstream.chat(body)
    return reply, round(time.perf_counter() - started, 4)


@router.post("/ocr", response_model=DeepseekOcrResponse)
async def ocr(
    req: DeepseekOcrRequest, state: AdapterState = Depends(get_state)
) -> DeepseekOcrResponse:
    page = await state.page_from_base64(req.image)
    reply, elapsed = await _run(state, page, req.prompt_type, req.custom_prompt, req.max_tokens)
    choice = reply["choices"][0]
    raw = choice["message"].get("content") or ""
    return DeepseekOcrResponse(
        text=to_markdown(raw),
        raw_output=raw,
        model=reply.get("model") or state.model,
        inference_time=elapsed,
        flash_attention=state.flash_attention(),
        usage=reply.get("usage"),
        finish_reason=choice.get("finish_reason"),
        truncated=choice.get("finish_reason") == "length",
    )


@router.post("/ocr/figure", response_model=FigureResponse)
async def figure(
    file: Annotated[UploadFile, File(description="The page or figure image")],
    state: Annotated[AdapterState, Depends(get_state)],
    prompt_type: Annotated[str, Form()] = "ocr_simple",
    custom_prompt: Annotated[str | None, Form()] = None,
    # Accepted for compatibility: vLLM's DeepSeek-OCR runs one fixed mode ("Gundam":
    # a 1024 px global view plus 640 px tiles) whatever these say.
    base_size: Annotated[int, Form(gt=0)] = 1024,
    image_size: Annotated[int, Form(gt=0)] = 1024,
    crop_mode: Annotated[bool, Form()] = False,
) -> FigureResponse:
    page = await state.page_from_bytes(await file.read())
    reply, elapsed = await _run(state, page, prompt_type, custom_prompt, None)
    choice = reply["choices"][0]
    raw = choice["message"].get("content") or ""
    return FigureResponse(
        # Boxes in pixels of the image as uploaded, which is what the caller holds.
        blocks=parse_grounding(raw, *page.source_size),
        markdown=to_markdown(raw),
        raw_output=raw,
        inference_time=elapsed,
        flash_attention=state.flash_attention(),
        image_width=page.source_size[0],
        image_height=page.source_size[1],
        truncated=choice.get("finish_reason") == "length",
    )


@router.get("/prompts", response_model=Prompts)
async def prompts(state: AdapterState = Depends(get_state)) -> Prompts:
    client = state.profile.client
    return Prompts(default=client.default_prompt, prompt_types=dict(client.prompts))
