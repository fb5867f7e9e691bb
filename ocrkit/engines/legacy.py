"""The original services' POST /ocr, for deployments not yet upgraded."""

from __future__ import annotations

import base64

from ocrkit.engines._http import check_reachable, make_client, post_json
from ocrkit.engines.base import EngineUnavailable, ModelEngine, PageFailed, Reply
from ocrkit.images import PageImage
from ocrkit.options import OcrOptions


class LegacyEngine(ModelEngine):
    name = "legacy"
    default_concurrency = 16

    def __init__(self, options: OcrOptions) -> None:
        super().__init__(options)
        self.client = make_client(options, options.url.rstrip("/").removesuffix("/v1"))

    async def start(self) -> None:
        response = await check_reachable(self.client, "/health")
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if response.status_code != 200 or body.get("status") != "healthy":
            raise EngineUnavailable(
                f"{self.client.base_url}/health is {response.status_code} "
                f"{body.get('status', '')}: the service is not ready"
            )
        self.model = body.get("model")

    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        o = self.options
        body: dict[str, object] = {"image": base64.b64encode(page.data).decode("ascii")}
        if self.profile.family == "deepseek-ocr":
            body["prompt_type"] = self.profile.client.default_prompt
            if o.prompt:
                body["custom_prompt"] = o.prompt
        else:
            body["language"] = o.language
            if o.prompt:
                body["prompt"] = o.prompt
        if o.max_tokens:
            body["max_tokens"] = o.max_tokens
        # The legacy API is greedy only: temperature cannot be raised on a retry.
        reply = await post_json(self.client, "/ocr", body, o.retry_budget)
        if "text" not in reply:
            raise PageFailed("legacy /ocr reply has no text")
        usage = reply.get("usage") or {}
        return Reply(
            text=reply["text"],
            finish_reason=reply.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
        )

    async def close(self) -> None:
        await self.client.aclose()
