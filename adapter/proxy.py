"""/v1/* passed to vLLM unchanged: method, query, body, status, headers, error bodies, and
server-sent events chunk by chunk as they arrive."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from adapter.metrics import log_server_error
from adapter.state import AdapterState, get_state

router = APIRouter()

# Hop-by-hop headers (RFC 9110 7.6.1) plus the ones the adapter itself sets.
_DROP_REQUEST = {
    "host",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "authorization",
    "x-api-key",
    "content-length",
}
_DROP_RESPONSE = {
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "date",
    "server",
}


@router.api_route(
    "/v1/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"],
    include_in_schema=False,
)
async def proxy(
    path: str, request: Request, state: AdapterState = Depends(get_state)
) -> StreamingResponse:
    upstream = state.upstream
    # The body is read whole (it is bounded by the body limit) so that a refused
    # connection can be retried; the response is what streams.
    body = await request.body()
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST]
    outgoing = upstream.client.build_request(
        request.method,
        f"/v1/{path}",
        params=request.query_params,
        headers=headers,
        content=body,
    )
    response = await upstream.send(outgoing, stream=True)
    if response.status_code >= 500:
        # vLLM's own 5xx passes through as it is; the operator still sees it and its id.
        log_server_error(
            request, response.status_code, f"status_{response.status_code}", "from upstream"
        )
    return StreamingResponse(
        response.aiter_raw(),
        status_code=response.status_code,
        headers={k: v for k, v in response.headers.items() if k.lower() not in _DROP_RESPONSE},
        background=BackgroundTask(response.aclose),
    )
