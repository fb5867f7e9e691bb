"""The legacy DeepSeek-style API, for profiles whose prompt is picked by type:
/ocr with a prompt type, /ocr/figure, /prompts.

Every request carries the profile's per-request extras (for DeepSeek-OCR `vllm_xargs` and
`skip_special_tokens: false`, added by the shared request builder): without them vLLM's
n-gram repetition guard does nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from adapter.state import AdapterState, get_state
from adapter.wire import DeepseekOcrRequest, DeepseekOcrResponse, FigureResponse, Prompts

router = APIRouter()
log = logging.getLogger("adapter")


@router.post("/ocr", response_model=DeepseekOcrResponse)
async def ocr(
    req: DeepseekOcrRequest, state: AdapterState = Depends(get_state)
) -> DeepseekOcrResponse:
    if req.ignored_fields:
        log.info("/ocr: ignored request fields %s", req.ignored_fields)
    page = await state.page_from_base64(req.image)
    started = time.perf_counter()
    reply, clean = await state.read(
        page, prompt_type=req.prompt_type, prompt=req.custom_prompt, max_tokens=req.max_tokens
    )
    return DeepseekOcrResponse(
        text=clean.text,
        raw_output=reply.text,
        model=reply.model or state.model,
        inference_time=round(time.perf_counter() - started, 4),
        flash_attention=state.flash_attention(),
        usage=reply.usage(),
        finish_reason=reply.finish_reason,
        truncated=reply.truncated,
        blocks=clean.blocks,
        ignored_fields=req.ignored_fields,
    )


@router.post("/ocr/figure", response_model=FigureResponse)
async def figure(
    file: Annotated[UploadFile, File(description="The page or figure image")],
    state: Annotated[AdapterState, Depends(get_state)],
    prompt_type: Annotated[str | None, Form()] = None,
    custom_prompt: Annotated[str | None, Form()] = None,
    # Accepted for compatibility: vLLM's DeepSeek-OCR runs one fixed mode ("Gundam":
    # a 1024 px global view plus 640 px tiles) whatever these say.
    base_size: Annotated[int, Form(gt=0)] = 1024,
    image_size: Annotated[int, Form(gt=0)] = 1024,
    crop_mode: Annotated[bool, Form()] = False,
    # Not in the legacy API; as /ocr's: a cap on the reply, default MAX_NEW_TOKENS.
    max_tokens: Annotated[int | None, Form(gt=0)] = None,
) -> FigureResponse:
    page = await state.page_from_bytes(await file.read())
    started = time.perf_counter()
    reply, clean = await state.read(
        page, prompt_type=prompt_type, prompt=custom_prompt, max_tokens=max_tokens, regions=False
    )
    return FigureResponse(
        # Boxes in pixels of the image as uploaded, which is what the caller holds.
        blocks=clean.blocks or [],
        markdown=clean.text,
        raw_output=reply.text,
        inference_time=round(time.perf_counter() - started, 4),
        flash_attention=state.flash_attention(),
        image_width=page.source_size[0],
        image_height=page.source_size[1],
        truncated=reply.truncated,
    )


@router.get("/prompts", response_model=Prompts)
async def prompts(state: AdapterState = Depends(get_state)) -> Prompts:
    client = state.profile.client
    return Prompts(default=client.default_prompt, prompt_types=dict(client.prompts))
