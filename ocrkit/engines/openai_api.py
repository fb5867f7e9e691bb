"""Any OpenAI-compatible server: vLLM itself, the adapter's /v1, a router."""

from __future__ import annotations

from ocrkit.engines._http import RetryPolicy, check_reachable, make_client, post
from ocrkit.engines.base import ModelEngine
from ocrkit.errors import EngineUnavailable
from ocrkit.model.images import PageImage
from ocrkit.model.reply import ChatReply, parse_chat_reply
from ocrkit.options import OcrOptions


def v1_url(url: str) -> str:
    """`http://host:8001` and `http://host:8001/v1` both mean the OpenAI API at /v1."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


class OpenAIEngine(ModelEngine):
    name = "openai"
    default_concurrency = 32  # enough to keep a GPU server's batch full
    cluster_cpus_per_page = 0.25

    def __init__(self, options: OcrOptions) -> None:
        super().__init__(options)
        self.client = make_client(options, v1_url(options.url))
        self.retry = RetryPolicy(options.retry_budget)

    async def connect(self) -> None:
        response = await check_reachable(self.client, "models")
        listed = []
        if response.status_code == 200:
            try:
                listed = [m["id"] for m in response.json()["data"]]
            except (ValueError, KeyError, TypeError):
                raise EngineUnavailable(
                    f"{self.client.base_url}/models is not an OpenAI model list"
                ) from None
        spec = self.profile.vllm
        wanted = self.options.model or spec.served_model_name or spec.model
        if wanted in listed or (self.options.model and not listed):
            self.model = wanted
        elif len(listed) == 1:
            self.model = listed[0]  # a server with one model: that is the one
        else:
            raise EngineUnavailable(
                f"{self.client.base_url} serves {listed or 'no models'}, not {wanted!r}; "
                "pass --model"
            )

    async def ask(
        self, image: PageImage, prompt_key: str, temperature: float, prompt: str | None = None
    ) -> ChatReply:
        body = self.chat_request(image, temperature, prompt_key, prompt)
        return await post(self.client, "chat/completions", body, self.retry, parse_chat_reply)

    async def close(self) -> None:
        await self.client.aclose()
