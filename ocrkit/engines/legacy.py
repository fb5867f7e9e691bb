"""The original services' POST /ocr, for deployments not yet upgraded."""

from __future__ import annotations

import base64

from pydantic import BaseModel, ValidationError

from ocrkit.engines._http import RetryPolicy, check_reachable, make_client, post
from ocrkit.engines.base import ModelEngine
from ocrkit.errors import EngineUnavailable, ReplyError
from ocrkit.model.images import PageImage
from ocrkit.model.reply import ChatReply
from ocrkit.options import OcrOptions


class _Usage(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _LegacyReply(BaseModel):
    text: str
    raw_output: str | None = None  # DeepSeek: the model's output before post-processing
    model: str | None = None
    finish_reason: str | None = None
    usage: _Usage | None = None


def _parse(body: bytes) -> ChatReply:
    try:
        reply = _LegacyReply.model_validate_json(body)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise ReplyError(f"the /ocr reply is not the legacy shape ({problem})") from None
    usage = reply.usage or _Usage()
    return ChatReply(
        text=reply.raw_output if reply.raw_output is not None else reply.text,
        finish_reason=reply.finish_reason,
        model=reply.model,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
    )


class LegacyEngine(ModelEngine):
    name = "legacy"
    default_concurrency = 16
    cluster_cpus_per_page = 0.25
    # The legacy API is greedy only: a retry would get the same reply.
    samples = False

    def __init__(self, options: OcrOptions) -> None:
        super().__init__(options)
        self.client = make_client(options, options.url.rstrip("/").removesuffix("/v1"))
        self.retry = RetryPolicy(options.retry_budget)

    async def connect(self) -> None:
        response = await check_reachable(self.client, "/health")
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if response.status_code != 200 or body.get("status") != "healthy":
            raise EngineUnavailable(
                f"{self.client.base_url}/health is {response.status_code} "
                f"{body.get('status', '')}: the service is not ready"
            )
        self.model = body.get("model")

    async def ask(
        self, image: PageImage, prompt_key: str, temperature: float, prompt: str | None = None
    ) -> ChatReply:
        o = self.options
        body: dict[str, object] = {"image": base64.b64encode(image.data).decode("ascii")}
        # The same prompt key the other engines use, in the field this API takes for it.
        if self.profile.client.prompt_by == "language":
            body["language"] = prompt_key
            if prompt:
                body["prompt"] = prompt
        else:
            body["prompt_type"] = prompt_key
            if prompt:
                body["custom_prompt"] = prompt
        if o.max_tokens:
            body["max_tokens"] = o.max_tokens
        return await post(self.client, "/ocr", body, self.retry, _parse)

    async def close(self) -> None:
        await self.client.aclose()
