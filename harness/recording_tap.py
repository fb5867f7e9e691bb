"""A pass-through HTTP proxy that records what the upstream sent: each response's status and
body bytes, chunk by chunk as they arrived, streamed on to the caller as they arrive.

    python harness/recording_tap.py PORT UPSTREAM_URL

Sits between the adapter and a real vLLM, so that a test can compare what the adapter's
client received with what vLLM sent *for the same request*: vLLM groups tokens into
server-sent events as it is scheduled, so two generations of one greedy reply may differ in
their events, but one response seen on both sides of the adapter may not.
GET /_tap/records lists the recorded responses (bodies in base64), newest last; POST
/_tap/reset forgets them. Only for tests.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import AsyncIterator

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

UPSTREAM = sys.argv[2].rstrip("/") if len(sys.argv) > 2 else ""
records: list[dict] = []
client = httpx.AsyncClient(base_url=UPSTREAM, timeout=600)
_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


async def control(request: Request) -> Response:
    if request.url.path == "/_tap/reset":
        records.clear()
    return JSONResponse(records)


async def forward(request: Request) -> Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
    outgoing = client.build_request(
        request.method,
        request.url.path,
        params=request.query_params,
        headers=headers,
        content=await request.body(),
    )
    try:
        upstream = await client.send(outgoing, stream=True)
    except httpx.TransportError as exc:
        return JSONResponse({"detail": f"tap: {type(exc).__name__}"}, status_code=502)
    record: dict = {"path": request.url.path, "status": upstream.status_code, "chunks": []}
    records.append(record)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in upstream.aiter_raw():
            record["chunks"].append(base64.b64encode(chunk).decode())
            yield chunk
        record["complete"] = True

    return StreamingResponse(
        body(),
        status_code=upstream.status_code,
        headers={k: v for k, v in upstream.headers.items() if k.lower() not in _HOP},
        background=BackgroundTask(upstream.aclose),
    )


app = Starlette(
    routes=[
        Route("/_tap/records", control),
        Route("/_tap/reset", control, methods=["POST"]),
        Route("/{path:path}", forward, methods=["GET", "POST", "PUT", "DELETE"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
