"""`serving run --profile deepseek-ocr` against a real vLLM, with the n-gram repetition guard.

The tiny checkpoint is a config and a tokenizer served with `--load-format dummy`; vLLM's
SAM and CLIP towers are full size, so each image costs seconds on a CPU: keep requests few.
"""

from __future__ import annotations

import httpx
import openai
import pytest

from harness.images import data_uri, page_png
from harness.names import DEEPSEEK_NAME as MODEL
from harness.servers import ManagedServer
from ocrkit import load_profile

pytestmark = pytest.mark.slow


def request(server: ManagedServer, extra_body: dict) -> openai.types.chat.ChatCompletion:
    profile = load_profile("deepseek-ocr")
    c = openai.OpenAI(base_url=server.url + "/v1", api_key="none", max_retries=0, timeout=300)
    return c.chat.completions.create(
        model=MODEL,
        max_tokens=4,
        temperature=0,
        extra_body=extra_body,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": data_uri(page_png(400, 560))}},
                    {"type": "text", "text": profile.client.prompts[profile.client.default_prompt]},
                ],
            }
        ],
    )


def test_starts_with_the_ngram_logits_processor(deepseek_server: ManagedServer) -> None:
    assert httpx.get(deepseek_server.url + "/health").status_code == 200
    log = deepseek_server.log_text()
    assert "NGramPerReqLogitsProcessor" in log
    assert "'enable_prefix_caching': False" in log


def test_request_with_the_profile_xargs_succeeds(deepseek_server: ManagedServer) -> None:
    extra = load_profile("deepseek-ocr").client.extra_body
    assert extra["vllm_xargs"]["ngram_size"] == 30
    reply = request(deepseek_server, extra)
    assert reply.choices[0].finish_reason in ("length", "stop")
    assert reply.usage.completion_tokens >= 1
    assert reply.usage.prompt_tokens > 100  # the image's visual tokens are in the prompt


def test_the_processor_really_validates_xargs(deepseek_server: ManagedServer) -> None:
    # Only a loaded NGramPerReqLogitsProcessor rejects a bad ngram_size; without it vLLM
    # would accept any vllm_xargs silently.
    with pytest.raises(openai.BadRequestError, match="ngram_size"):
        request(deepseek_server, {"vllm_xargs": {"ngram_size": -1}})
