"""The legacy Qwen service API: POST /ocr with a base64 image and a language."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends

from adapter.state import AdapterState, get_state
from adapter.wire import OcrRequest, OcrResponse
from ocrkit.request import build_chat_request

router = APIRouter()


@router.post("/ocr", response_model=OcrResponse)
async def ocr(req: OcrRequest, state: AdapterState = Depends(get_state)) -> OcrResponse:
    page = await state.page_from_base64(req.image)
    body = build_chat_request(
        state.profile,
        page.data_uri(),
        model=state.model,
        prompt_key=req.language,
        prompt=req.prompt,
        max_tokens=req.max_tokens or state.default_max_tokens,
    )
    started = time.perf_counter()
    reply = await state.upstream.chat(body)
    elapsed = time.perf_counter() - started
    choice = reply["choices"][0]
    return OcrResponse(
        text=choice["message"].get("content") or "",
        model=reply.get("model") or state.model,
        inference_time=round(elapsed, 4),
        usage=reply.get("usage"),
        finish_reason=choice.get("finish_reason"),
        truncated=choice.get("finish_reason") == "length",
    )
