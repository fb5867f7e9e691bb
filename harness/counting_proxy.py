"""A pass-through HTTP proxy that counts: requests seen and the most in flight at once.

    python harness/counting_proxy.py PORT UPSTREAM_URL [--hold-first]

Sits between a client under test and a real server; GET /_stats reports the counts and
POST /_reset clears them. With --hold-first, the first POST to a path waits until a second one is
in flight (or HOLD_S passes), so a client that sends requests concurrently shows it
whatever the machine's speed. Only for tests: it buffers bodies and does not stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

UPSTREAM = sys.argv[2].rstrip("/")
stats = {"requests": 0, "in_flight": 0, "max_in_flight": 0, "by_path": {}}
client = httpx.AsyncClient(base_url=UPSTREAM, timeout=600)
HOLD_FIRST = "--hold-first" in sys.argv[3:]
HOLD_S = 120  # a guard: a client that never sends a second request is not waited for forever
second = asyncio.Event()


async def forward(request: Request) -> Response:
    path = request.url.path
    if path == "/_stats":
        return JSONResponse(stats)
    if path == "/_reset":
        stats.update(requests=0, in_flight=0, max_in_flight=0, by_path={})
        return JSONResponse(stats)
    stats["requests"] += 1
    stats["by_path"][path] = stats["by_path"].get(path, 0) + 1
    stats["in_flight"] += 1
    stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
    if stats["in_flight"] >= 2:
        second.set()
    try:
        if HOLD_FIRST and request.method == "POST" and stats["by_path"][path] == 1:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(second.wait(), HOLD_S)
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        try:
            up = await client.request(
                request.method,
                path,
                params=request.query_params,
                headers=headers,
                content=await request.body(),
            )
        except httpx.TransportError as exc:
            return JSONResponse({"detail": f"proxy: {type(exc).__name__}"}, status_code=502)
        drop = {"content-length", "transfer-encoding", "connection", "content-encoding"}
        return Response(
            up.content,
            status_code=up.status_code,
            headers={k: v for k, v in up.headers.items() if k.lower() not in drop},
        )
    finally:
        stats["in_flight"] -= 1


app = Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST", "PUT", "DELETE"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
