"""An OpenAI-compatible server that answers every chat completion with a fixed reply, at
once or after DELAY seconds (however many are in flight): the upstream for measuring the
adapter alone (its decoding, not the model's time), or a queue of pages (bench/cluster.py).

    python harness/instant_upstream.py PORT MODEL [DELAY]

Only for benchmarks: the real vLLM is what the tests and the deployment bench talk to.
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MODEL = sys.argv[2]
DELAY = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0


async def health(request: Request) -> JSONResponse:
    return JSONResponse({})


async def models(request: Request) -> JSONResponse:
    return JSONResponse({"object": "list", "data": [{"id": MODEL, "object": "model"}]})


async def chat(request: Request) -> JSONResponse:
    await request.body()
    if DELAY:
        await asyncio.sleep(DELAY)
    return JSONResponse(
        {
            "id": "instant",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Облигации"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 2, "total_tokens": 1002},
        }
    )


app = Starlette(
    routes=[
        Route("/health", health),
        Route("/v1/models", models),
        Route("/v1/chat/completions", chat, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
