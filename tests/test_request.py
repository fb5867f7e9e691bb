from __future__ import annotations

import pytest

from ocrkit import load_profile
from ocrkit.model.request import PromptError, build_chat_request

URI = "data:image/png;base64,AAAA"


def test_qwen_request_is_greedy_with_the_language_prompt() -> None:
    profile = load_profile("qwen2-vl-2b")
    body = build_chat_request(profile, URI, model="m", prompt_key="english", max_tokens=99)
    assert body["model"] == "m" and body["max_tokens"] == 99 and body["temperature"] == 0
    image, text = body["messages"][0]["content"]
    assert image == {"type": "image_url", "image_url": {"url": URI}}
    assert text == {"type": "text", "text": profile.client.prompts["english"]}
    assert "vllm_xargs" not in body


def test_prompt_overrides_and_defaults() -> None:
    profile = load_profile("qwen2-vl-2b")
    body = build_chat_request(profile, URI, model="m", prompt="Только цифры")
    assert body["messages"][0]["content"][1]["text"] == "Только цифры"
    assert body["max_tokens"] == 2048
    default = build_chat_request(profile, URI, model="m")
    assert default["messages"][0]["content"][1]["text"] == profile.client.prompts["russian"]
    with pytest.raises(PromptError, match="klingon"):
        build_chat_request(profile, URI, model="m", prompt_key="klingon")


def test_deepseek_requests_always_carry_the_repetition_guard() -> None:
    profile = load_profile("deepseek-ocr")
    body = build_chat_request(profile, URI, model="m", prompt_key="table", temperature=0.3)
    assert body["skip_special_tokens"] is False
    assert body["vllm_xargs"] == {
        "ngram_size": 30,
        "window_size": 90,
        "whitelist_token_ids": [128821, 128822],
    }
    assert body["temperature"] == 0.3
    # Mutating one request must not leak into the profile or the next request.
    body["vllm_xargs"]["ngram_size"] = 1
    assert build_chat_request(profile, URI, model="m")["vllm_xargs"]["ngram_size"] == 30


def test_the_in_process_engine_applies_every_extra_a_profile_sends() -> None:
    """An extra the in-process engine could not translate would be dropped silently there
    while the servers apply it: every profile's extras are ones it translates."""
    from ocrkit.model.profiles import list_profiles
    from ocrkit.model.request import IN_PROCESS_EXTRAS, vllm_sampling

    for name in list_profiles():
        profile = load_profile(name)
        assert set(profile.client.extra_body) <= IN_PROCESS_EXTRAS, name
        body = build_chat_request(profile, URI, model="m", max_tokens=7, temperature=0.2)
        sampling = vllm_sampling(body)
        assert (sampling["max_tokens"], sampling["temperature"]) == (7, 0.2)
        assert sampling["extra_args"] == profile.client.extra_body.get("vllm_xargs")
        assert sampling["skip_special_tokens"] == profile.client.extra_body.get(
            "skip_special_tokens", True
        )
