"""The FastAPI application: `adapter.app:app`, configured from the environment."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from adapter import deepseek_api, proxy, qwen_api, status
from adapter.auth import require_key
from adapter.limits import BodyLimitMiddleware
from adapter.metrics import MetricsMiddleware, log_server_error
from adapter.request_id import RequestIdMiddleware
from adapter.settings import AdapterSettings
from adapter.state import AdapterState
from adapter.upstream import Upstream, UpstreamError
from ocrkit.errors import ImageError, PromptError
from ocrkit.model.images import (
    ExtremeAspectRatio,
    ImageTooLarge,
    ImageTooSmall,
    InvalidBase64,
    UndecodableImage,
    UnsupportedFormat,
)
from ocrkit.model.profiles import load_profile

log = logging.getLogger("adapter")

# The legacy API a profile gets follows from what picks its prompt (`client.prompt_by`).
LEGACY_ROUTERS = {"language": qwen_api.router, "type": deepseek_api.router}

IMAGE_ERROR_STATUS: dict[type[ImageError], int] = {
    InvalidBase64: 400,
    UndecodableImage: 400,
    UnsupportedFormat: 415,
    ImageTooLarge: 413,
    # A real image the models cannot take (a speck, a strip of a page).
    ImageTooSmall: 422,
    ExtremeAspectRatio: 422,
}


def create_app(
    settings: AdapterSettings | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The adapter for `settings` (default: the environment). `transport` replaces the
    network under the upstream client (tests put a fake vLLM there)."""
    settings = settings or AdapterSettings()
    profile = load_profile(settings.profile)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upstream = Upstream(settings, transport)
        app.state.settings = settings
        app.state.adapter = state = AdapterState(
            settings, profile, settings.served_name_for(profile), upstream
        )
        await state.start()
        log.info(
            "adapter for %s (%s) in front of %s, /ocr reading %s",
            profile.name,
            state.model,
            settings.upstream_url,
            f"region by region ({state.layout.name})"
            if state.layout is not None
            else "whole pages",
        )
        try:
            yield
        finally:
            await upstream.aclose()

    app = FastAPI(
        title=f"ocrkit adapter ({profile.name})",
        description="The legacy OCR API in front of vLLM; /v1/* is vLLM's OpenAI API.",
        lifespan=lifespan,
    )
    app.include_router(status.router)
    app.include_router(
        LEGACY_ROUTERS[profile.client.prompt_by], dependencies=[Depends(require_key)]
    )
    app.include_router(proxy.router, dependencies=[Depends(require_key)])
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)

    @app.exception_handler(ImageError)
    async def image_error(_: Request, exc: ImageError) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=IMAGE_ERROR_STATUS.get(type(exc), 400)
        )

    @app.exception_handler(PromptError)
    async def prompt_error(_: Request, exc: PromptError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(UpstreamError)
    async def upstream_error(request: Request, exc: UpstreamError) -> JSONResponse:
        if exc.status >= 500:
            log_server_error(request, exc.status, exc.cause, exc.detail)
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the traceback after this; the line here carries the request id.
        log_server_error(request, 500, type(exc).__name__, "unexpected error in the adapter")
        return JSONResponse({"detail": "internal error in the adapter"}, status_code=500)

    return app


def __getattr__(name: str) -> FastAPI:
    # `adapter.app:app` for uvicorn, built on first access so that importing this module
    # (tests, tools) does not read the environment.
    if name == "app":
        globals()["app"] = application = create_app()
        return application
    raise AttributeError(name)
