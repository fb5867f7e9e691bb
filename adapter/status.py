"""GET /health, /info and /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from adapter.auth import require_key
from adapter.metrics import REGISTRY
from adapter.state import AdapterState, get_state
from adapter.upstream import RETRY_AFTER_S
from adapter.wire import Health, Info

router = APIRouter()


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(state: AdapterState = Depends(get_state)) -> JSONResponse:
    """200 with status "healthy" only when vLLM's /health is 200 and it lists the model;
    503 with "loading" or "unhealthy" otherwise (compose and old clients rely on this)."""
    upstream = await state.upstream.health(state.model)
    plan = state.plan()
    gpu = plan.gpu if plan else None
    attention = plan.attention if plan else None
    body = Health(
        status=upstream.status,
        model=state.model,
        model_loaded=upstream.status == "healthy",
        detail=upstream.detail,
        cuda_available=attention.platform == "cuda" if attention else None,
        cuda_device=gpu.name if gpu else None,
        flash_attention=attention.flash_attention if attention else None,
        vram_total_gb=gpu.memory_gb if gpu else None,
    )
    healthy = upstream.status == "healthy"
    return JSONResponse(
        body.model_dump(),
        status_code=200 if healthy else 503,
        headers=None if healthy else {"Retry-After": str(RETRY_AFTER_S)},
    )


@router.get("/info", response_model=Info, dependencies=[Depends(require_key)])
async def info(state: AdapterState = Depends(get_state)) -> Info:
    plan = state.plan()
    return Info(
        model=state.model,
        max_tokens=state.default_max_tokens,
        flash_attention=state.flash_attention(),
        engine_version=await state.upstream.version(),
        profile=state.profile.name,
        attention=plan.attention if plan else None,
        vlm_mode=state.vlm_mode,
        layout_model=state.layout.name if state.layout is not None else None,
    )


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_key)])
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
