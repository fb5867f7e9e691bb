"""The adapter in front of a real vLLM (tiny Qwen2-VL), both started as deployed, over loopback."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
import openai
import pytest
from PIL import Image

from harness.images import bomb_png, data_uri, page_png
from harness.names import ADAPTER_KEY, ADAPTER_MAX_NEW_TOKENS, QWEN_KEY, QWEN_NAME
from harness.servers import ManagedServer
from ocrkit import load_profile
from ocrkit.model.request import build_chat_request

pytestmark = pytest.mark.slow
AUTH = {"Authorization": f"Bearer {ADAPTER_KEY}"}
PROFILE = load_profile("qwen2-vl-2b")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ocr(adapter: ManagedServer, **body: object) -> httpx.Response:
    return httpx.post(adapter.url + "/ocr", json=body, headers=AUTH, timeout=120)


def direct_prompt_tokens(vllm: ManagedServer, png: bytes, **kw: object) -> int:
    """What vLLM counts for the request the legacy API is documented to send."""
    body = build_chat_request(PROFILE, data_uri(png), model=QWEN_NAME, max_tokens=1, **kw)
    reply = httpx.post(
        vllm.url + "/v1/chat/completions",
        json=body,
        timeout=120,
        headers={"Authorization": f"Bearer {QWEN_KEY}"},
    )
    return reply.json()["usage"]["prompt_tokens"]


def sdk(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=120)


def test_legacy_ocr_answers_with_every_legacy_field(qwen_adapter: ManagedServer) -> None:
    r = ocr(qwen_adapter, image=b64(page_png()), language="russian")
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["text"], str)
    assert body["model"] == QWEN_NAME
    assert isinstance(body["inference_time"], float) and body["inference_time"] > 0
    assert body["vram_used_gb"] is None
    assert body["usage"]["prompt_tokens"] > 400
    assert body["finish_reason"] in ("stop", "length")


@pytest.mark.parametrize("language", ["russian", "english", "auto"])
def test_language_picks_the_documented_prompt(
    qwen_adapter: ManagedServer, qwen_server: ManagedServer, language: str
) -> None:
    png = page_png()
    got = ocr(qwen_adapter, image=b64(png), language=language, max_tokens=1).json()
    assert got["usage"]["prompt_tokens"] == direct_prompt_tokens(
        qwen_server, png, prompt_key=language
    )


def test_prompt_overrides_the_language(
    qwen_adapter: ManagedServer, qwen_server: ManagedServer
) -> None:
    png, prompt = page_png(), "Выпиши только номер облигации и дату погашения, без пояснений."
    got = ocr(qwen_adapter, image=b64(png), language="english", prompt=prompt, max_tokens=1)
    tokens = got.json()["usage"]["prompt_tokens"]
    assert tokens == direct_prompt_tokens(qwen_server, png, prompt=prompt)
    assert tokens != direct_prompt_tokens(qwen_server, png, prompt_key="english")


def test_max_tokens_is_honoured_and_truncation_is_marked(qwen_adapter: ManagedServer) -> None:
    body = ocr(qwen_adapter, image=b64(page_png()), max_tokens=3).json()
    assert body["usage"]["completion_tokens"] <= 3
    if body["finish_reason"] == "length":
        assert body["truncated"] is True
    # Without max_tokens the adapter's MAX_NEW_TOKENS applies.
    body = ocr(qwen_adapter, image=b64(page_png())).json()
    assert body["usage"]["completion_tokens"] <= ADAPTER_MAX_NEW_TOKENS


def test_big_page_is_fitted_before_it_goes_upstream(qwen_adapter: ManagedServer) -> None:
    # An A4 page at 300 dpi: the adapter resizes it to the profile's max_pixels itself.
    body = ocr(qwen_adapter, image=b64(page_png(2480, 3508)), max_tokens=1).json()
    assert 1000 < body["usage"]["prompt_tokens"] <= 1280 + 100


def test_openai_sdk_through_the_adapter_matches_vllm(
    qwen_adapter: ManagedServer, qwen_server: ManagedServer
) -> None:
    via, direct = sdk(qwen_adapter.url, ADAPTER_KEY), sdk(qwen_server.url, QWEN_KEY)
    assert [m.id for m in via.models.list().data] == [m.id for m in direct.models.list().data]
    body = build_chat_request(PROFILE, data_uri(page_png()), model=QWEN_NAME, max_tokens=12)
    a = via.chat.completions.create(**body)
    b = direct.chat.completions.create(**body)
    assert a.choices[0].message.content == b.choices[0].message.content  # greedy: same words
    assert a.usage == b.usage
    with pytest.raises(openai.NotFoundError) as err:
        via.chat.completions.create(**{**body, "model": "no-such-model"})
    assert "no-such-model" in str(err.value)  # vLLM's own error body, passed through


def test_a_stream_reaches_the_client_as_vllm_sent_it(
    tapped_adapter: ManagedServer, qwen_tap: ManagedServer, qwen_server: ManagedServer
) -> None:
    """What the adapter hands its client is what vLLM sent for the same request (recorded by
    the tap between them): the same bytes, so the same events in the same order. How vLLM
    groups tokens into events depends on how it was scheduled; that is not compared across
    two requests, only the greedy text and the usage, which do not depend on it. Delivery
    event by event is shown against a pacing upstream (tests/test_adapter_streaming.py)."""
    body = build_chat_request(PROFILE, data_uri(page_png()), model=QWEN_NAME, max_tokens=200)
    body |= {"stream": True, "stream_options": {"include_usage": True}, "ignore_eos": True}
    httpx.post(qwen_tap.url + "/_tap/reset").raise_for_status()
    received = streamed(tapped_adapter.url, ADAPTER_KEY, body)
    (record,) = [
        r
        for r in httpx.get(qwen_tap.url + "/_tap/records").json()
        if r["path"] == "/v1/chat/completions"
    ]
    sent = b"".join(base64.b64decode(chunk) for chunk in record["chunks"])
    assert record["status"] == 200
    assert received == sent
    events = sse_events(sent)
    assert events[-1] == "[DONE]" and len(events) > 2
    direct = sse_events(streamed(qwen_server.url, QWEN_KEY, body))
    assert text_and_usage(events) == text_and_usage(direct)  # greedy: the same reply
    assert text_and_usage(events)[1]["completion_tokens"] == 200


def streamed(url: str, key: str, body: dict) -> bytes:
    """A streamed chat completion's body, as the client received it."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.stream(
        "POST", url + "/v1/chat/completions", json=body, headers=headers, timeout=300
    ) as r:
        assert r.status_code == 200, r.read()
        return b"".join(r.iter_raw())


def sse_events(raw: bytes) -> list[str]:
    """The data of each server-sent event."""
    return [
        block.removeprefix("data: ")
        for block in raw.decode().split("\n\n")
        if block.startswith("data: ")
    ]


def text_and_usage(events: list[str]) -> tuple[str, dict]:
    chunks = [json.loads(e) for e in events if e != "[DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    (usage,) = [c["usage"] for c in chunks if c.get("usage")]
    return text, usage


def test_keys(qwen_adapter: ManagedServer) -> None:
    url = qwen_adapter.url
    image = {"image": b64(page_png())}
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "wrong"},
        {"Authorization": f"Bearer {QWEN_KEY}"},
    ):  # the upstream's key is not ours
        assert httpx.post(url + "/ocr", json=image, headers=headers).status_code == 401
        assert httpx.get(url + "/v1/models", headers=headers).status_code == 401
        assert httpx.get(url + "/info", headers=headers).status_code == 401
    assert httpx.get(url + "/v1/models", headers={"X-API-Key": ADAPTER_KEY}).status_code == 200
    assert httpx.get(url + "/health").status_code == 200  # health checks carry no key
    with pytest.raises(openai.AuthenticationError):
        sdk(url, "wrong").models.list()
    for secret in (ADAPTER_KEY, QWEN_KEY):
        assert secret not in qwen_adapter.log_text()


def test_info_reports_what_the_launcher_chose(qwen_adapter: ManagedServer) -> None:
    info = httpx.get(qwen_adapter.url + "/info", headers=AUTH).json()
    assert info["model"] == QWEN_NAME
    assert info["max_tokens"] == ADAPTER_MAX_NEW_TOKENS
    assert info["flash_attention"] is False
    assert info["engine"] == "vllm" and info["engine_version"] == "0.32.0"
    assert info["profile"] == "qwen2-vl-2b"
    assert info["attention"]["platform"] == "cpu"
    assert {"cuda_version", "torch_version"} <= set(info)


def test_metrics(qwen_adapter: ManagedServer) -> None:
    ocr(qwen_adapter, image=b64(page_png()), max_tokens=1)
    text = httpx.get(qwen_adapter.url + "/metrics", headers=AUTH).text
    assert 'ocrkit_adapter_requests_total{method="POST",route="/ocr",status="200"}' in text
    assert "ocrkit_adapter_request_seconds_bucket" in text
    assert 'ocrkit_adapter_upstream_seconds_count{endpoint="/v1/chat/completions"}' in text
    assert "ocrkit_adapter_in_flight" in text


def _png(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, fmt)
    return buf.getvalue()


BAD_INPUTS = [
    ("truncated base64", {"image": b64(page_png())[:-3]}, 400),
    ("not base64", {"image": "этo не base64 ###"}, 400),
    ("non-image bytes", {"image": b64(b"just some text, not an image at all")}, 400),
    ("svg", {"image": b64(b"<svg xmlns='http://www.w3.org/2000/svg' width='9' height='9'/>")}, 415),
    ("ico", {"image": b64(_png((64, 64), "ICO"))}, 415),
    ("1x1 image", {"image": b64(_png((1, 1)))}, 422),
    ("20000x20000 png (decompression bomb)", {"image": b64(bomb_png(20000, 20000))}, 413),
    ("image of wrong type", {"image": 12345}, 422),
    ("missing image", {"language": "russian"}, 422),
    ("unknown language", {"image": b64(page_png()), "language": "klingon"}, 422),
    ("negative max_tokens", {"image": b64(page_png()), "max_tokens": -5}, 422),
    ("max_tokens as text", {"image": b64(page_png()), "max_tokens": "many"}, 422),
    ("max_tokens beyond the context", {"image": b64(page_png()), "max_tokens": 10**6}, 400),
]


@pytest.mark.parametrize(("case", "body", "status"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_its_status(
    qwen_adapter: ManagedServer, case: str, body: dict, status: int
) -> None:
    r = httpx.post(qwen_adapter.url + "/ocr", json=body, headers=AUTH, timeout=60)
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    assert httpx.get(qwen_adapter.url + "/health", timeout=60).status_code == 200


def test_body_over_the_limit_is_413_while_it_streams(qwen_adapter: ManagedServer) -> None:
    big = b"x" * (5 * 1024 * 1024)  # ADAPTER_MAX_BODY_MB=4

    def chunks():  # type: ignore[no-untyped-def]
        for i in range(0, len(big), 65536):  # no Content-Length: checked as it arrives
            yield big[i : i + 65536]

    r = httpx.post(qwen_adapter.url + "/ocr", content=chunks(), headers=AUTH, timeout=60)
    assert r.status_code == 413
    r = httpx.post(qwen_adapter.url + "/ocr", content=big, headers=AUTH, timeout=60)
    assert r.status_code == 413
    r = httpx.post(qwen_adapter.url + "/v1/chat/completions", content=big, headers=AUTH, timeout=60)
    assert r.status_code == 413
    assert httpx.get(qwen_adapter.url + "/health", timeout=60).status_code == 200


def test_nothing_outside_v1_is_proxied(qwen_adapter: ManagedServer) -> None:
    for path in ("/version", "/tokenize", "/v2/models", "/metrics/../version"):
        assert httpx.get(qwen_adapter.url + path, headers=AUTH).status_code in (404, 405)


def test_openapi_schema_fuzzing_finds_no_server_error(
    qwen_adapter: ManagedServer, tmp_path: Path
) -> None:
    st = Path(sys.executable).parent / "schemathesis"
    proc = subprocess.run(
        [
            str(st),
            "run",
            qwen_adapter.url + "/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "40",
            "--header",
            f"Authorization: Bearer {ADAPTER_KEY}",
            "--request-timeout",
            "300",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert httpx.get(qwen_adapter.url + "/health", timeout=60).status_code == 200


def test_max_new_tokens_is_a_default_never_a_cap(qwen_adapter: ManagedServer) -> None:
    # MAX_NEW_TOKENS (16 here, set for vLLM and the adapter as compose does) is what a
    # request that gives no max_tokens gets; a request that asks for more gets more.
    asked = ADAPTER_MAX_NEW_TOKENS * 3
    client = openai.OpenAI(base_url=qwen_adapter.url + "/v1", api_key=ADAPTER_KEY)
    reply = client.chat.completions.create(
        model=QWEN_NAME,
        messages=[{"role": "user", "content": "Облигации"}],
        max_tokens=asked,
        extra_body={"ignore_eos": True},
    )
    assert reply.usage is not None and reply.usage.completion_tokens == asked
    default = ocr(qwen_adapter, image=b64(page_png())).json()
    assert default["usage"]["completion_tokens"] <= ADAPTER_MAX_NEW_TOKENS
