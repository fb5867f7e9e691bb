"""The legacy Qwen-style API, for profiles whose prompt is picked by language:
POST /ocr with a base64 image and a language."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Depends

from adapter.state import AdapterState, get_state
from adapter.wire import OcrRequest, OcrResponse

router = APIRouter()
log = logging.getLogger("adapter")


@router.post("/ocr", response_model=OcrResponse)
async def ocr(req: OcrRequest, state: AdapterState = Depends(get_state)) -> OcrResponse:
    if req.ignored_fields:
        log.info("/ocr: ignored request fields %s", req.ignored_fields)
    page = await state.page_from_base64(req.image)
    started = time.perf_counter()
    reply, clean = await state.read(
        page, language=req.language, prompt=req.prompt, max_tokens=req.max_tokens
    )
    return OcrResponse(
        text=clean.text,
        model=reply.model or state.model,
        inference_time=round(time.perf_counter() - started, 4),
        usage=reply.usage(),
        finish_reason=reply.finish_reason,
        truncated=reply.truncated,
        blocks=clean.blocks,
        ignored_fields=req.ignored_fields,
    )
