"""Any OpenAI-compatible server: vLLM itself, the adapter's /v1, a router."""

from __future__ import annotations

from ocrkit.engines._http import check_reachable, make_client, post_json
from ocrkit.engines.base import EngineUnavailable, ModelEngine, PageFailed, Reply
from ocrkit.images import PageImage
from ocrkit.options import OcrOptions


def v1_url(url: str) -> str:
    """`http://host:8001` and `http://host:8001/v1` both mean the OpenAI API at /v1."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


class OpenAIEngine(ModelEngine):
    name = "openai"
    default_concurrency = 32  # enough to keep a GPU server's batch full

    def __init__(self, options: OcrOptions) -> None:
        super().__init__(options)
        self.client = make_client(options, v1_url(options.url))

    async def start(self) -> None:
        response = await check_reachable(self.client, "models")
        listed = []
        if response.status_code == 200:
            listed = [m.get("id") for m in response.json().get("data", [])]
        wanted = self.options.model or self.options.served_name_for(self.profile)
        if wanted in listed or (self.options.model and not listed):
            self.model = wanted
        elif len(listed) == 1:
            self.model = listed[0]  # a server with one model: that is the one
        else:
            raise EngineUnavailable(
                f"{self.client.base_url} serves {listed or 'no models'}, not {wanted!r}; "
                "pass --model"
            )

    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        body = self.chat_request(page, temperature)
        reply = await post_json(self.client, "chat/completions", body, self.options.retry_budget)
        try:
            choice = reply["choices"][0]
            usage = reply.get("usage") or {}
            return Reply(
                text=choice["message"].get("content") or "",
                finish_reason=choice.get("finish_reason"),
                prompt_tokens=usage.get("prompt_tokens"),
                completion_tokens=usage.get("completion_tokens"),
            )
        except (KeyError, IndexError, TypeError):
            raise PageFailed("server reply has no choices") from None

    async def close(self) -> None:
        await self.client.aclose()
