"""An OpenAI-compatible upstream that streams a chat completion in lock-step with its
reader: it sends server-sent event k+1 only once the test says that event k reached the
client (`release()`). A proxy between them that held anything back would stall the stream
at its first event, so whether a proxy streams is decided by the order of events, never by
how fast this machine is. `sent` keeps the bytes exactly as they went out."""

from __future__ import annotations

import asyncio
import json
import threading

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

# How long the upstream waits for a release before it stops pacing and sends the rest: a
# guard that lets a stalled test end (and fail) instead of hanging, not a measure of speed.
GIVE_UP_S = 60.0


def event(payload: dict | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


class PacingUpstream:
    def __init__(self, model: str, tokens: list[str], give_up_s: float = GIVE_UP_S) -> None:
        self.model, self.give_up_s = model, give_up_s
        self.events = [
            event(
                {
                    "id": "chatcmpl-paced",
                    "object": "chat.completion.chunk",
                    "model": model,
                    "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}],
                }
            )
            for t in tokens
        ] + [event("[DONE]")]
        self.sent = b""
        # The event after which no release came in time; from there the rest went unpaced.
        self.stalled_after: int | None = None
        self._releases = threading.Semaphore(0)
        self.app = Starlette(
            routes=[
                Route("/health", self._health),
                Route("/v1/models", self._models),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
            ]
        )

    def release(self) -> None:
        """The client has the last event sent: the next one may go."""
        self._releases.release()

    async def _health(self, request: Request) -> Response:
        return Response()

    async def _models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _chat(self, request: Request) -> StreamingResponse:
        await request.body()

        async def stream():  # type: ignore[no-untyped-def]
            for k, chunk in enumerate(self.events):
                self.sent += chunk
                yield chunk
                if k < len(self.events) - 1 and self.stalled_after is None:
                    wait = self._releases.acquire
                    if not await asyncio.to_thread(wait, True, self.give_up_s):
                        self.stalled_after = k

        return StreamingResponse(stream(), media_type="text/event-stream")
