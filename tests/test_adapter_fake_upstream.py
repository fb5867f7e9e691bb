"""The adapter in front of a scripted vLLM (httpx.MockTransport): every failure maps to its
status with a clear `detail`, and every legacy route reads a page the one shared way
(prompt choice, request builder, reply parser, the profile's post-processor)."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from adapter import AdapterSettings, create_app
from harness import structure_corpus as corpus
from harness.fakes import counter
from harness.images import bomb_png, page_png
from harness.layout_models import TITLE_FORMULA_TEXT, standin_v3
from ocrkit.errors import EngineUnavailable
from ocrkit.layout import LayoutMissing
from ocrkit.model.launch import VllmInstall
from ocrkit.model.profiles import load_profile
from serving.plan import build_plan
from serving.settings import ServingSettings

Handler = Callable[[httpx.Request], httpx.Response]
GROUNDED = (
    "<|ref|>title<|/ref|><|det|>[[0, 0, 999, 99]]<|/det|>\n# ПРОСПЕКТ\n"
    "<|ref|>table<|/ref|><|det|>[[100, 200, 899, 599]]<|/det|>\n| Серия | 001 |"
)


def completion(text: str | None, finish: str = "stop") -> dict:
    return {
        "model": "served",
        "choices": [{"message": {"content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    }


class FakeVllm:
    """Answers /health, /v1/models and chat completions as scripted; keeps the requests."""

    def __init__(self, chat: Handler) -> None:
        self.chat = chat
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":
            return httpx.Response(200)
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "served"}]})
        self.bodies.append(json.loads(request.content))
        return self.chat(request)


@pytest.fixture
def adapter() -> Iterator[Callable[..., tuple[TestClient, FakeVllm]]]:
    clients: list[TestClient] = []

    def make(
        chat: Handler, profile: str = "qwen2-vl-2b", **env: str
    ) -> tuple[TestClient, FakeVllm]:
        fake = FakeVllm(chat)
        settings = AdapterSettings(
            SERVING_PROFILE=profile,
            SERVED_MODEL_NAME="served",
            UPSTREAM_URL="http://vllm",
            UPSTREAM_RETRIES="0",
            **env,
        )
        client = TestClient(create_app(settings, transport=httpx.MockTransport(fake)))
        client.__enter__()
        clients.append(client)
        return client, fake

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ok(text: str | None = "Облигации") -> Handler:
    return lambda request: httpx.Response(200, json=completion(text))


def raises(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("name", "chat", "status", "detail"),
    [
        (
            "upstream 400",
            lambda r: httpx.Response(400, json={"error": {"message": "too long"}}),
            400,
            "upstream rejected the request: too long",
        ),
        (
            "upstream 500",
            lambda r: httpx.Response(500, text="boom"),
            502,
            "upstream error 500: boom",
        ),
        (
            "upstream 401",
            lambda r: httpx.Response(401),
            502,
            "upstream refused the adapter's credentials (UPSTREAM_API_KEY)",
        ),
        (
            "html page",
            lambda r: httpx.Response(200, text="<html>Bad Gateway</html>"),
            502,
            "upstream answered 200 but the reply is not JSON: '<html>Bad Gateway</html>'",
        ),
        (
            "not JSON",
            lambda r: httpx.Response(200, content=b"\xff\xfe"),
            502,
            "upstream answered 200 but the reply is not JSON",
        ),
        (
            "no choices",
            lambda r: httpx.Response(200, json={"id": "x"}),
            502,
            "upstream answered 200 but the reply is not a chat completion (no choices)",
        ),
        (
            "content null",
            ok(None),
            502,
            "upstream answered 200 but the reply is not a chat completion "
            "(choices.0.message.content is null)",
        ),
        (
            "refused",
            raises(httpx.ConnectError("refused")),
            503,
            "upstream model server is not reachable (ConnectError)",
        ),
        ("loading", lambda r: httpx.Response(503), 503, "upstream model server is not ready"),
        (
            "slow",
            raises(httpx.ReadTimeout("slow")),
            504,
            "upstream model server timed out (ReadTimeout)",
        ),
    ],
)
def test_upstream_failures_map_to_a_status_and_a_clear_detail(
    adapter: Callable[..., tuple[TestClient, FakeVllm]],
    name: str,
    chat: Handler,
    status: int,
    detail: str,
) -> None:
    client, _ = adapter(chat)
    response = client.post("/ocr", json={"image": b64(page_png())})
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail)
    if status == 503:
        assert response.headers["retry-after"] == "5"


def test_every_5xx_is_logged_with_its_cause_and_request_id_and_counted(
    adapter: Callable[..., tuple[TestClient, FakeVllm]], caplog: pytest.LogCaptureFixture
) -> None:
    def dead(_: httpx.Request) -> httpx.Response:
        # A stream, as vLLM's body arrives: the /v1 proxy passes it on chunk by chunk.
        body = httpx.ByteStream(b'{"message": "engine dead"}')
        return httpx.Response(500, stream=body, headers={"content-type": "application/json"})

    client, _ = adapter(dead)
    errors = "ocrkit_adapter_server_errors_total"
    ocr_500 = {"cause": "status_500", "route": "/ocr", "status": "502"}
    v1_500 = {"cause": "status_500", "route": "/v1/{path:path}", "status": "500"}
    before = client.get("/metrics").text
    with caplog.at_level(logging.WARNING, logger="adapter"):
        failed = client.post(
            "/ocr", json={"image": b64(page_png())}, headers={"X-Request-ID": "page-17.run-3"}
        )
        proxied = client.post("/v1/chat/completions", json={"model": "served"})
        fine = client.get("/health")
    assert failed.status_code == 502 and failed.headers["x-request-id"] == "page-17.run-3"
    assert proxied.status_code == 500  # /v1 passes vLLM's own status on
    generated = proxied.headers["x-request-id"]
    assert len(generated) == 32 and fine.headers["x-request-id"] not in (generated, "")
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        "POST /ocr -> 502, cause status_500, request id page-17.run-3" in line for line in lines
    ), lines
    assert any(f"-> 500, cause status_500, request id {generated}" in line for line in lines)
    after = client.get("/metrics").text
    assert counter(after, errors, **ocr_500) == counter(before, errors, **ocr_500) + 1
    assert counter(after, errors, **v1_500) == counter(before, errors, **v1_500) + 1


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"image": "not base64!"}, 400, "image is not valid base64"),
        ({"image": b64(b"hello, not an image")}, 400, "data is not a recognised image"),
        ({"image": b64(b"<svg xmlns='http://www.w3.org/2000/svg'/>")}, 415, "SVG is not supported"),
        ({"image": b64(bomb_png(12000, 12000))}, 413, "image is 12000x12000"),
        ({"image": b64(page_png(10, 10))}, 422, "image is 10x10 pixels"),
        ({"image": b64(page_png(6000, 28))}, 422, "image is 6000x28: aspect ratio over 200:1"),
        ({"image": b64(page_png()), "language": "klingon"}, 422, None),
        ({"language": "russian"}, 422, None),
    ],
)
def test_bad_input_maps_to_a_status_and_nothing_reaches_vllm(
    adapter: Callable[..., tuple[TestClient, FakeVllm]],
    body: dict,
    status: int,
    detail: str | None,
) -> None:
    client, fake = adapter(ok())
    response = client.post("/ocr", json=body)
    assert response.status_code == status, response.text
    if detail:
        assert response.json()["detail"].startswith(detail)
    assert fake.bodies == []


def test_a_body_over_the_limit_is_413(adapter: Callable[..., tuple[TestClient, FakeVllm]]) -> None:
    client, fake = adapter(ok(), ADAPTER_MAX_BODY_MB="0.01")
    response = client.post("/ocr", json={"image": b64(page_png(1500, 2000))})
    assert response.status_code == 413 and fake.bodies == []


def test_qwen_ocr_picks_the_prompt_by_language_and_lists_ignored_fields(
    adapter: Callable[..., tuple[TestClient, FakeVllm]],
) -> None:
    client, fake = adapter(ok("# Проспект"))
    response = client.post(
        "/ocr", json={"image": b64(page_png()), "language": "english", "temperature": 0.3}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "# Проспект" and body["ignored_fields"] == ["temperature"]
    assert body["usage"] == {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
    (sent,) = fake.bodies
    prompts = load_profile("qwen2-vl-2b").client.prompts
    assert sent["messages"][0]["content"][1]["text"] == prompts["english"]
    assert sent["max_tokens"] == 2048 and sent["temperature"] == 0.0  # the profile's


def test_max_new_tokens_is_the_default_when_set(
    adapter: Callable[..., tuple[TestClient, FakeVllm]],
) -> None:
    client, fake = adapter(ok(), MAX_NEW_TOKENS="16")
    client.post("/ocr", json={"image": b64(page_png())})
    client.post("/ocr", json={"image": b64(page_png()), "max_tokens": 100})
    assert [b["max_tokens"] for b in fake.bodies] == [16, 100]
    assert client.get("/info").json()["max_tokens"] == 16


def test_deepseek_ocr_turns_grounding_into_markdown_and_blocks(
    adapter: Callable[..., tuple[TestClient, FakeVllm]],
) -> None:
    client, fake = adapter(ok(GROUNDED), profile="deepseek-ocr")
    image = page_png(1000, 1000)
    response = client.post("/ocr", json={"image": b64(image), "legacy_flag": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == "# ПРОСПЕКТ\n\n| Серия | 001 |" and body["raw_output"] == GROUNDED
    assert [b["type"] for b in body["blocks"]] == ["title", "table"]
    assert body["blocks"][1]["bbox"] == {"x0": 100, "y0": 200, "x1": 900, "y1": 600}
    assert body["ignored_fields"] == ["legacy_flag"]
    profile = load_profile("deepseek-ocr")
    (sent,) = fake.bodies
    # No prompt type: the profile's default, with the repetition guard's extras.
    assert sent["messages"][0]["content"][1]["text"] == profile.client.prompts["ocr_simple"]
    assert sent["vllm_xargs"]["ngram_size"] == 30 and sent["skip_special_tokens"] is False
    assert sent["max_tokens"] == 8192


@pytest.mark.parametrize("model", ["deepseek-ocr", "deepseek-ocr-2"])
def test_deepseek_figure_gives_the_same_blocks_in_uploaded_pixels(
    adapter: Callable[..., tuple[TestClient, FakeVllm]], model: str
) -> None:
    client, fake = adapter(ok(GROUNDED), profile=model)
    # Larger than the profile's pixel budget: sent fitted, boxes in the caller's pixels.
    image = page_png(2000, 2000)
    response = client.post(
        "/ocr/figure", files={"file": ("p.png", image, "image/png")}, data={"prompt_type": "table"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["image_width"], body["image_height"]) == (2000, 2000)
    assert body["blocks"][1]["bbox"] == {"x0": 200, "y0": 400, "x1": 1800, "y1": 1199}
    assert "<|" not in body["markdown"]
    sent_prompt = fake.bodies[0]["messages"][0]["content"][1]["text"]
    assert sent_prompt == load_profile(model).client.prompts["table"]
    assert fake.bodies[0]["max_tokens"] == 8192  # the profile's, as /ocr's
    # A caller's cap (not in the legacy API) reaches vLLM; a bad one is refused before it.
    small = page_png(400, 560)
    capped = client.post("/ocr/figure", files={"file": ("p.png", small)}, data={"max_tokens": "8"})
    assert capped.status_code == 200 and fake.bodies[1]["max_tokens"] == 8
    bad = client.post("/ocr/figure", files={"file": ("p.png", small)}, data={"max_tokens": "0"})
    assert bad.status_code == 422 and len(fake.bodies) == 2


def test_an_unknown_prompt_type_is_422(adapter: Callable[..., tuple[TestClient, FakeVllm]]) -> None:
    client, fake = adapter(ok(), profile="deepseek-ocr")
    response = client.post("/ocr", json={"image": b64(page_png()), "prompt_type": "poetry"})
    assert response.status_code == 422 and "poetry" in response.json()["detail"]
    assert fake.bodies == []


def test_info_and_health_read_the_launch_record(
    adapter: Callable[..., tuple[TestClient, FakeVllm]], tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    profile = load_profile("qwen2-vl-2b")
    plan = build_plan(
        ServingSettings(SERVING_API_KEY="sk-secret"),
        profile,
        VllmInstall(version="0.32.0+cpu", build="cpu"),
        [],
        "test",
    )
    plan.write(plan_file)
    assert "sk-secret" not in plan_file.read_text()
    client, _ = adapter(ok(), SERVING_PLAN_FILE=str(plan_file))
    info = client.get("/info").json()
    assert info["attention"]["platform"] == "cpu" and info["flash_attention"] is False
    health = client.get("/health").json()
    assert health["status"] == "healthy" and health["cuda_available"] is False
    plan_file.write_text("{ half a file")
    assert client.get("/info").json()["attention"] is None  # unreadable: unknown, no crash


def _answer_by_prompt(profile: str) -> Handler:
    """A vLLM that answers a region's request with the name of the prompt it carried."""
    prompts = load_profile(profile).client.prompts
    names = {text: name for name, text in prompts.items()}

    def chat(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["messages"][0]["content"][1]["text"]
        return httpx.Response(200, json=completion(f"{names.get(sent, 'own')} read"))

    return chat


def test_glm_ocr_reads_a_page_region_by_region_through_ocr_as_the_client_does(
    adapter: Callable[..., tuple[TestClient, FakeVllm]], tmp_path: Path
) -> None:
    # The corpus's two-column page (title, two columns, a running header and a footer),
    # sent at 300 dpi, nearly three times the profile's pixel budget: read fitted (0.6 of
    # each side), boxes in the caller's pixels.
    report = corpus.build(tmp_path / "report.pdf")
    image = corpus.page_image(report, 5, dpi=300)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    client, fake = adapter(_answer_by_prompt("glm-ocr"), profile="glm-ocr")
    info = client.get("/info").json()
    assert (info["vlm_mode"], info["layout_model"]) == ("elements", "layout_cdla.onnx")
    response = client.post("/ocr", json={"image": b64(buf.getvalue())})
    assert response.status_code == 200, response.text
    body = response.json()
    # Three regions sent (title, left, right), each a crop, never the whole page; the
    # furniture is not sent.
    assert len(fake.bodies) == 3
    blocks = body["blocks"]
    assert [b["type"] for b in blocks] == ["header", "title", "text", "text", "footer"]
    assert body["text"] == "## text read\n\ntext read\n\ntext read"
    assert [b.get("metadata", {}).get("order") for b in blocks] == [None, 0, 1, 2, None]
    left, right = blocks[2]["bbox"], blocks[3]["bbox"]
    assert left["x1"] < right["x0"] and right["x1"] > 0.8 * image.width
    assert max(b["bbox"]["y1"] for b in blocks) > 0.9 * image.height
    assert body["usage"] == {"prompt_tokens": 30, "completion_tokens": 9, "total_tokens": 39}
    assert body["raw_output"] == "text read\n\ntext read\n\ntext read"
    # A prompt type or a prompt of the caller's own: the whole page, as asked.
    fake.bodies.clear()
    whole = client.post("/ocr", json={"image": b64(buf.getvalue()), "prompt_type": "table"})
    assert whole.status_code == 200 and len(fake.bodies) == 1
    assert whole.json()["text"] == "table read"
    # A figure is one region already: sent whole, with the default prompt.
    fake.bodies.clear()
    figure = client.post("/ocr/figure", files={"file": ("p.png", buf.getvalue(), "image/png")})
    assert figure.status_code == 200 and len(fake.bodies) == 1


def test_ocr_reads_by_pp_doclayoutv3_regions_from_the_file_it_is_given(
    adapter: Callable[..., tuple[TestClient, FakeVllm]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As compose passes LAYOUT_MODEL (a file under /models) to the glm-ocr adapter; the file
    # is one of PP-DocLayoutV3's export interface that finds these regions on any page.
    model = standin_v3(
        tmp_path / "models" / "pp_doc_layoutv3.onnx",
        TITLE_FORMULA_TEXT,
    )
    monkeypatch.setenv("OCRKIT_LAYOUT_MODEL", str(model))
    client, fake = adapter(_answer_by_prompt("glm-ocr"), profile="glm-ocr")
    assert client.get("/info").json()["layout_model"] == "pp_doc_layoutv3.onnx"
    response = client.post("/ocr", json={"image": b64(page_png())})
    assert response.status_code == 200, response.text
    body = response.json()
    # In the model's order, each with its prompt; the page number not sent.
    assert body["text"] == "## text read\n\nformula read\n\ntext read"
    assert [b["type"] for b in body["blocks"]] == ["page_number", "title", "formula", "text"]
    assert len(fake.bodies) == 3


def test_ocr_reads_whole_pages_when_asked_and_without_the_layout_extra(
    adapter: Callable[..., tuple[TestClient, FakeVllm]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, fake = adapter(
        _answer_by_prompt("paddleocr-vl"), "paddleocr-vl", ADAPTER_VLM_MODE="page"
    )
    assert client.get("/info").json()["vlm_mode"] == "page"
    assert client.post("/ocr", json={"image": b64(page_png())}).status_code == 200
    assert len(fake.bodies) == 1
    # Left empty, as compose's ${ADAPTER_VLM_MODE:-} leaves it: auto.
    client, _ = adapter(ok(), "glm-ocr", ADAPTER_VLM_MODE="")
    assert client.get("/info").json()["vlm_mode"] == "elements"
    # Qwen2-VL's profile reads whole pages whatever the mode.
    client, _ = adapter(ok(), "qwen2-vl-2b")
    assert client.get("/info").json()["vlm_mode"] == "page"

    import ocrkit.layout

    def missing(*args: object) -> None:
        raise LayoutMissing("the layout stage needs rapid-layout and onnxruntime")

    monkeypatch.setattr(ocrkit.layout, "LayoutDetector", missing)
    client, _ = adapter(ok(), "glm-ocr")
    info = client.get("/info").json()
    assert (info["vlm_mode"], info["layout_model"]) == ("page", None)
    with pytest.raises(EngineUnavailable, match="rapid-layout"):
        adapter(ok(), "glm-ocr", ADAPTER_VLM_MODE="elements")
    monkeypatch.undo()
    # A layout model named but not there stops the start, in auto too.
    monkeypatch.setenv("OCRKIT_LAYOUT_MODEL", "/models/pp_doc_layoutv3.onnx")
    with pytest.raises(EngineUnavailable, match="is not a file"):
        adapter(ok(), "glm-ocr")
