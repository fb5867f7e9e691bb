"""Decoded pages in flight stay within ADAPTER_DECODE_BUDGET_MB: concurrent /ocr calls beyond
it wait their turn and all succeed (bench/deployment.py measures the container's memory)."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx

from adapter import AdapterSettings, create_app
from adapter.budget import ByteBudget, decode_cost
from harness.images import page_png

A4 = page_png(1654, 2339)


def test_holders_beyond_the_budget_wait_and_all_finish() -> None:
    async def scenario() -> tuple[ByteBudget, list[int]]:
        budget = ByteBudget(100)
        done: list[int] = []

        async def one(i: int, cost: int) -> None:
            async with budget.hold(cost):
                await asyncio.sleep(0.01)
                done.append(i)

        # 40 each: two at a time; 500 (over the whole budget) goes alone.
        await asyncio.gather(*(one(i, 500 if i == 3 else 40) for i in range(10)))
        return budget, done

    budget, done = asyncio.run(scenario())
    assert sorted(done) == list(range(10))
    assert budget.peak == 100 and budget.held == 0


def test_cost_comes_from_the_header_and_garbage_costs_its_length() -> None:
    assert decode_cost(A4) == 1654 * 2339 * 8
    assert decode_cost(b"not an image") == len(b"not an image")


def test_concurrent_ocr_calls_decode_within_the_budget() -> None:
    page_cost = decode_cost(A4)
    settings = AdapterSettings(
        SERVING_PROFILE="qwen2-vl-2b",
        SERVED_MODEL_NAME="served",
        UPSTREAM_URL="http://vllm",
        ADAPTER_DECODE_BUDGET_MB=str(2.5 * page_cost / 2**20),  # two pages at a time
    )
    seen: list[dict] = []

    def vllm(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/chat/completions":
            seen.append(json.loads(request.content))
            reply = {
                "model": "served",
                "choices": [{"message": {"content": "текст"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
            }
            return httpx.Response(200, json=reply)
        return httpx.Response(200, json={"data": [{"id": "served"}]})

    app = create_app(settings, transport=httpx.MockTransport(vllm))
    body = {"image": base64.b64encode(A4).decode(), "max_tokens": 2}

    async def burst() -> tuple[list[int], ByteBudget]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
                replies = await asyncio.gather(
                    *(client.post("/ocr", json=body, timeout=120) for _ in range(12))
                )
            return [r.status_code for r in replies], app.state.adapter.decode_budget

    statuses, budget = asyncio.run(burst())
    assert statuses == [200] * 12  # none failed: the ones beyond the budget waited
    assert len(seen) == 12
    assert budget.peak == 2 * page_cost  # side by side within it, never beyond
    assert budget.held == 0
