"""Prometheus metrics of the adapter, served on GET /metrics."""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.request_id import request_id

log = logging.getLogger("adapter")

REGISTRY = CollectorRegistry()
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

REQUESTS = Counter(
    "ocrkit_adapter_requests",
    "Requests answered",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "ocrkit_adapter_request_seconds",
    "Time to the response's last byte",
    ["route"],
    buckets=_BUCKETS,
    registry=REGISTRY,
)
UPSTREAM_SECONDS = Histogram(
    "ocrkit_adapter_upstream_seconds",
    "Time vLLM took to answer (headers)",
    ["endpoint"],
    buckets=_BUCKETS,
    registry=REGISTRY,
)
IN_FLIGHT = Gauge("ocrkit_adapter_in_flight", "Requests being handled", registry=REGISTRY)
SERVER_ERRORS = Counter(
    "ocrkit_adapter_server_errors",
    "5xx answers by cause: an exception class, the upstream's status_NNN, or reply",
    ["route", "status", "cause"],
    registry=REGISTRY,
)
UPSTREAM_RETRIES = Counter(
    "ocrkit_adapter_upstream_retries",
    "Requests sent to vLLM again, by what failed before it reached the model",
    ["cause"],
    registry=REGISTRY,
)


class MetricsMiddleware:
    """Pure ASGI (no response buffering), so streamed /v1 replies stay streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            IN_FLIGHT.dec()
            route = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            REQUESTS.labels(name, scope["method"], str(status)).inc()
            LATENCY.labels(name).observe(time.perf_counter() - started)


def log_server_error(request: Request, status: int, cause: str, detail: str) -> None:
    """Every 5xx the adapter answers: one log line with its cause and request id, counted."""
    route = getattr(request.scope.get("route"), "path", None) or request.url.path
    SERVER_ERRORS.labels(route, str(status), cause).inc()
    log.warning(
        "%s %s -> %d, cause %s, request id %s: %s",
        request.method,
        request.url.path,
        status,
        cause,
        request_id(request),
        detail,
    )
