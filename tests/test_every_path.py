"""One page, one treatment: the client's `openai` engine (straight to vLLM and through the
adapter's /v1), its `legacy` engine (through the adapter's /ocr) and the adapter itself send
vLLM the same request and turn the reply into the same clean text and blocks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from adapter import AdapterSettings, create_app
from harness.fakes import make_pdf
from ocrkit.api import make_options, prepare, read_documents
from ocrkit.engines import ENGINES, ModelEngine
from ocrkit.errors import PromptError
from ocrkit.model.profiles import load_profile
from ocrkit.outputs.formats import render
from ocrkit.outputs.results import Document

GROUNDED = (
    "<|ref|>title<|/ref|><|det|>[[100, 50, 900, 120]]<|/det|>\n# ПРОСПЕКТ\n\n"
    "<|ref|>text<|/ref|><|det|>[[100, 150, 900, 400]]<|/det|>\nКупон 12,5 %"
)


def _json(data: dict) -> httpx.Response:
    # A stream, not a body: the adapter's /v1 proxy streams what vLLM sends.
    return httpx.Response(
        200,
        headers={"content-type": "application/json"},
        stream=httpx.ByteStream(json.dumps(data).encode()),
    )


class FakeVllm:
    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return _json({"object": "list", "data": [{"id": "served"}]})
        if request.url.path == "/health":
            return httpx.Response(200)
        self.bodies.append(json.loads(request.content))
        return _json(
            {
                "model": "served",
                "choices": [{"message": {"content": self.reply}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 7, "completion_tokens": 5},
            }
        )


@asynccontextmanager
async def adapter_transport(profile: str, fake: FakeVllm) -> AsyncIterator[httpx.ASGITransport]:
    settings = AdapterSettings(
        SERVING_PROFILE=profile, SERVED_MODEL_NAME="served", UPSTREAM_URL="http://vllm"
    )
    app = create_app(settings, transport=httpx.MockTransport(fake))
    async with app.router.lifespan_context(app):
        yield httpx.ASGITransport(app=app)


async def read(
    path: Path, engine_name: str, profile: str, fake: FakeVllm, via_adapter: bool, **opts: object
) -> Document:
    options = make_options(engine=engine_name, profile=profile, resume=False, route="ocr", **opts)
    engine = ENGINES[engine_name](options)
    assert isinstance(engine, ModelEngine)

    async def run_with(transport: httpx.AsyncBaseTransport) -> Document:
        base = str(engine.client.base_url)  # type: ignore[attr-defined]
        await engine.client.aclose()  # type: ignore[attr-defined]
        engine.client = httpx.AsyncClient(base_url=base, transport=transport)  # type: ignore[attr-defined]
        docs, _ = await read_documents(prepare([path]), engine, options)
        return docs[0]

    if via_adapter:
        async with adapter_transport(profile, fake) as transport:
            return await run_with(transport)
    return await run_with(httpx.MockTransport(fake))


PATHS = [("openai", False), ("openai", True), ("legacy", True)]


def _prompt(body: dict) -> str:
    return body["messages"][0]["content"][1]["text"]


@pytest.mark.parametrize(("prompt_type", "key"), [(None, "ocr_simple"), ("markdown", "markdown")])
def test_deepseek_gets_one_prompt_and_one_post_processing_on_every_path(
    tmp_path: Path, prompt_type: str | None, key: str
) -> None:
    pdf = make_pdf(tmp_path / "p.pdf", ["x", "y"])
    profile = load_profile("deepseek-ocr")
    seen: list[dict] = []
    outputs: list[Document] = []
    for engine, via_adapter in PATHS:
        fake = FakeVllm(GROUNDED)
        doc = asyncio.run(
            read(
                pdf,
                engine,
                "deepseek-ocr",
                fake,
                via_adapter,
                language="russian",  # must not pick DeepSeek's `russian` prompt type
                prompt_type=prompt_type,
            )
        )
        assert len(fake.bodies) == 2, (engine, via_adapter)
        seen += fake.bodies
        outputs.append(doc)
    assert {_prompt(b) for b in seen} == {profile.client.prompts[key]}
    assert all(b["vllm_xargs"] == seen[0]["vllm_xargs"] for b in seen)
    assert all(b["skip_special_tokens"] is False for b in seen)
    for doc in outputs:
        markdown = render(doc, "md")
        assert "<|" not in markdown and "# ПРОСПЕКТ" in markdown and "Купон 12,5 %" in markdown
        page = json.loads(render(doc, "json"))["pages"][0]
        assert [b["type"] for b in page["blocks"]] == ["title", "text"]
        width, height = page["image_size"]
        assert page["blocks"][0]["bbox"]["x1"] == round(900 / 999 * width)
        assert page["blocks"][1]["bbox"]["y1"] == round(400 / 999 * height)
    assert (
        len({json.dumps(d.model_dump(include={"pages": {0: {"text", "blocks"}}})) for d in outputs})
        == 1
    )


def test_qwen_gets_the_language_prompt_on_every_path(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "p.pdf", ["x"])
    prompts: set[str] = set()
    for engine, via_adapter in PATHS:
        fake = FakeVllm("# Проспект")
        doc = asyncio.run(read(pdf, engine, "qwen2-vl-2b", fake, via_adapter, language="english"))
        prompts |= {_prompt(b) for b in fake.bodies}
        assert doc.pages[0].text == "# Проспект" and doc.pages[0].blocks is None
    assert prompts == {load_profile("qwen2-vl-2b").client.prompts["english"]}


def test_an_unknown_prompt_type_fails_before_anything_is_sent() -> None:
    with pytest.raises(PromptError, match="poetry"):
        ENGINES["openai"](make_options(profile="deepseek-ocr", prompt_type="poetry"))
