"""`serving run` against a real vLLM (CPU build) serving a tiny random-weight Qwen2-VL."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest

from harness.images import data_uri, page_png
from harness.names import QWEN_KEY
from harness.servers import ManagedServer
from ocrkit import load_profile

pytestmark = pytest.mark.slow
MODEL = "tiny-qwen2-vl"


def client(server: ManagedServer, key: str = QWEN_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0, timeout=120)


def ask(server: ManagedServer, *images: bytes, **kwargs: object):  # type: ignore[no-untyped-def]
    prompt = load_profile("qwen2-vl-2b").client.prompts["russian"]
    content = [{"type": "image_url", "image_url": {"url": data_uri(i)}} for i in images]
    return client(server).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": [*content, {"type": "text", "text": prompt}]}],
        temperature=0,
        **kwargs,
    )


def test_health_and_served_name(qwen_server: ManagedServer) -> None:
    assert httpx.get(qwen_server.url + "/health").status_code == 200
    models = client(qwen_server).models.list()
    assert [m.id for m in models.data] == [MODEL]


def test_upstream_key_is_enforced(qwen_server: ManagedServer) -> None:
    with pytest.raises(openai.AuthenticationError):
        client(qwen_server, key="wrong").models.list()
    assert httpx.get(qwen_server.url + "/v1/models").status_code == 401


def test_chat_completion_with_a_base64_image(qwen_server: ManagedServer) -> None:
    reply = ask(qwen_server, page_png(), max_tokens=8)
    choice = reply.choices[0]
    assert choice.finish_reason in ("length", "stop")
    assert isinstance(choice.message.content, str)
    assert reply.usage.completion_tokens <= 8
    # A 600x800 page is ~(600/28)*(800/28) = 600 visual tokens; text alone is ~50.
    assert reply.usage.prompt_tokens > 400


def test_profile_pixel_bounds_reach_vllm(qwen_server: ManagedServer) -> None:
    # An A4 page at 300 dpi would be ~11,000 visual tokens; max_pixels caps it at 1280.
    big = ask(qwen_server, page_png(2480, 3508), max_tokens=1).usage.prompt_tokens
    assert 1000 < big <= 1280 + 100
    # A thumbnail is scaled up to min_pixels: at least 256 visual tokens.
    small = ask(qwen_server, page_png(56, 56), max_tokens=1).usage.prompt_tokens
    assert 256 <= small < 400


def test_a_second_image_is_refused_with_400(qwen_server: ManagedServer) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        ask(qwen_server, page_png(), page_png(), max_tokens=1)
    assert err.value.status_code == 400
    assert "image" in str(err.value)


def test_plan_file_records_the_decision_without_the_key(
    qwen_server: ManagedServer, logs_dir: Path
) -> None:
    plan = json.loads((logs_dir / "qwen-plan.json").read_text())
    assert plan["profile"] == "qwen2-vl-2b"
    assert plan["served_model_name"] == MODEL
    assert plan["vllm"]["build"] == "cpu"
    assert plan["attention"]["platform"] == "cpu"
    assert plan["attention"]["flash_attention"] is False
    assert plan["env"]["VLLM_API_KEY"] == "***"
    assert QWEN_KEY not in (logs_dir / "qwen-plan.json").read_text()
    assert QWEN_KEY not in qwen_server.log_text()
