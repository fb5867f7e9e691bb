"""The one place that turns a page + profile + prompt choice into a chat-completion request.

The adapter's legacy `/ocr` and the `ocrkit` client both call `build_chat_request`, so a
model's prompts, sampling and per-request extras (DeepSeek-OCR's repetition guard) are
applied the same way whichever path a page takes.
"""

from __future__ import annotations

import copy
from typing import Any

from ocrkit.errors import PromptError
from ocrkit.model.profiles import ModelProfile


def choose_prompt_key(
    profile: ModelProfile, *, language: str | None = None, prompt_type: str | None = None
) -> str:
    """The one decision of which of a profile's prompts a page gets.

    A prompt type asked for by name wins (and must exist). Otherwise a profile whose
    prompts are keyed by language (`prompt_by = "language"`) takes the page's language;
    any other profile takes its default prompt, whatever the language.
    """
    prompts = profile.client.prompts
    if prompt_type is not None:
        key = prompt_type
    elif profile.client.prompt_by == "language" and language is not None:
        key = language
    else:
        key = profile.client.default_prompt
    if key not in prompts:
        raise PromptError(
            f"unknown prompt {key!r} for {profile.name}; choose one of {sorted(prompts)}"
        )
    return key


def resolve_prompt(profile: ModelProfile, key: str | None = None, prompt: str | None = None) -> str:
    """An explicit `prompt` wins; else the profile's prompt for `key` (a language or a
    prompt type), else its default prompt. An unknown `key` is an error either way."""
    prompts = profile.client.prompts
    key = key or profile.client.default_prompt
    if key not in prompts:
        raise PromptError(
            f"unknown prompt {key!r} for {profile.name}; choose one of {sorted(prompts)}"
        )
    return prompt or prompts[key]


def default_max_tokens(profile: ModelProfile, deployment_default: int | None = None) -> int:
    """max_tokens of a request that gives none: the deployment's default (the adapter's
    MAX_NEW_TOKENS), else the profile's. A default only, never a cap."""
    return deployment_default or profile.client.sampling.max_tokens


def build_chat_request(
    profile: ModelProfile,
    image_url: str,
    *,
    model: str,
    prompt_key: str | None = None,
    prompt: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
) -> dict[str, Any]:
    """An OpenAI chat-completion body: one user message with the image, then the prompt.

    `image_url` is a data URI (or any URL the server can fetch). Greedy by default, as the
    original services were; `temperature` is raised only by the client's retry of a looping
    or truncated page.
    """
    sampling = profile.client.sampling
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": image_url}},
                    {"type": "text", "text": resolve_prompt(profile, prompt_key, prompt)},
                ],
            }
        ],
        "max_tokens": max_tokens or default_max_tokens(profile),
        "temperature": sampling.temperature if temperature is None else temperature,
    }
    # Copied: a caller may change its request without touching the profile. Extras never
    # override the fields above.
    for key, value in copy.deepcopy(profile.client.extra_body).items():
        body.setdefault(key, value)
    return body


# Request fields vLLM's OpenAI server turns into SamplingParams, and their defaults there:
# the one translation of a request body for the in-process engine.
_SAMPLING_FIELDS = {
    "temperature": ("temperature", None),
    "max_tokens": ("max_tokens", None),
    # DeepSeek-OCR's profile turns it off to keep its tags.
    "skip_special_tokens": ("skip_special_tokens", True),
    "vllm_xargs": ("extra_args", None),
}
# The per-request extras a profile may send (`client.extra_body`) that the in-process engine
# applies; tests/test_request.py keeps every profile's extras inside it.
IN_PROCESS_EXTRAS = frozenset(_SAMPLING_FIELDS) - {"temperature", "max_tokens"}


def vllm_sampling(body: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of vLLM's `SamplingParams` that serve `body` in-process as
    vLLM's OpenAI server serves it."""
    return {param: body.get(key, default) for key, (param, default) in _SAMPLING_FIELDS.items()}
