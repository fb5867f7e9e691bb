"""An optional setting left empty ("" from compose's `${VAR:-}`, or only white space) is
unset, on every side; a key that is set is still enforced."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient

from adapter.app import create_app
from adapter.settings import AdapterSettings
from adapter.upstream import Upstream
from ocrkit.engines._http import make_client
from ocrkit.options import OcrOptions

BLANKS = ["", "   ", "\t\n", None]
DEAD_UPSTREAM = "http://127.0.0.1:9"  # discard port: nothing listens, connections refused


def env_with(monkeypatch: pytest.MonkeyPatch, names: list[str], value: str | None) -> None:
    for name in names:
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize("blank", BLANKS)
def test_adapter_keys_left_blank_are_off(
    monkeypatch: pytest.MonkeyPatch, blank: str | None
) -> None:
    env_with(
        monkeypatch,
        ["ADAPTER_API_KEY", "UPSTREAM_API_KEY", "SERVING_API_KEY", "MAX_NEW_TOKENS"],
        blank,
    )
    monkeypatch.setenv("UPSTREAM_URL", DEAD_UPSTREAM)
    monkeypatch.setenv("UPSTREAM_RETRIES", "0")
    settings = AdapterSettings()
    assert settings.api_key is None and settings.upstream_api_key is None
    assert settings.max_new_tokens is None
    # No `Authorization: Bearer ` with an empty key, which h11 refuses to send at all.
    upstream = Upstream(settings)
    assert "authorization" not in upstream.client.headers
    asyncio.run(upstream.aclose())

    with TestClient(create_app(settings)) as client:
        # An open adapter lets an unauthenticated caller through to the (dead) upstream.
        r = client.get("/v1/models")
        assert r.status_code == 503, r.text
        assert "not reachable" in r.json()["detail"]
        r = client.post("/ocr", json={"image": "!!"})
        assert r.status_code == 400, r.text  # bad base64, not 401
        assert client.get("/info").status_code == 200


@pytest.mark.parametrize("key", ["s3cret", "  s3cret  "])
def test_a_key_that_is_set_is_enforced(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("ADAPTER_API_KEY", key)
    monkeypatch.setenv("UPSTREAM_URL", DEAD_UPSTREAM)
    monkeypatch.setenv("UPSTREAM_RETRIES", "0")
    with TestClient(create_app(AdapterSettings())) as client:
        assert client.get("/v1/models").status_code == 401
        assert client.get("/v1/models", headers={"Authorization": "Bearer "}).status_code == 401
        assert client.get("/info", headers={"X-API-Key": "wrong"}).status_code == 401
        ok = client.get("/v1/models", headers={"Authorization": f"Bearer {key.strip()}"})
        assert ok.status_code == 503  # past the key, on to the dead upstream


def test_the_upstream_key_is_sent_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVING_API_KEY", "replica-key")
    upstream = Upstream(AdapterSettings())
    assert upstream.client.headers["authorization"] == "Bearer replica-key"
    asyncio.run(upstream.aclose())


@pytest.mark.parametrize("blank", BLANKS)
def test_client_key_left_blank_is_off(monkeypatch: pytest.MonkeyPatch, blank: str | None) -> None:
    env_with(monkeypatch, ["OCRKIT_API_KEY", "OPENAI_API_KEY", "OCRKIT_URL"], blank)
    options = OcrOptions()
    assert options.api_key is None
    assert options.url == "http://localhost:8001"
    client = make_client(options, options.url)
    assert "authorization" not in client.headers
    asyncio.run(client.aclose())


def test_an_empty_first_alias_falls_through_to_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCRKIT_API_KEY", "")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-next")
    assert OcrOptions().api_key.get_secret_value() == "sk-next"  # type: ignore[union-attr]


def test_upstream_health_keeps_the_last_model_listing_through_a_blip() -> None:
    # Behind vllm-router, /v1/models goes to one replica; when that one has just died the
    # router's /readiness still says another serves, and so does the adapter.
    listing_ok = True

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/readiness":
            return httpx.Response(200, json={"status": "ready"})
        if listing_ok:
            return httpx.Response(200, json={"data": [{"id": "m"}]})
        return httpx.Response(502, text="bad gateway")

    async def check() -> list[str]:
        upstream = Upstream(
            AdapterSettings(upstream_url="http://router", upstream_health_path="/readiness"),
            transport=httpx.MockTransport(handler),
        )
        nonlocal listing_ok
        statuses = [(await upstream.health("m")).status]
        listing_ok = False
        statuses.append((await upstream.health("m")).status)
        statuses.append((await upstream.health("other")).status)
        await upstream.aclose()
        return statuses

    assert asyncio.run(check()) == ["healthy", "healthy", "unhealthy"]


@pytest.mark.parametrize("blank", BLANKS)
def test_text_workers_left_blank_are_one_a_core(
    monkeypatch: pytest.MonkeyPatch, blank: str | None
) -> None:
    env_with(monkeypatch, ["OCRKIT_TEXT_WORKERS"], blank)
    assert OcrOptions().text_workers is None  # None: the runner takes one a core
    monkeypatch.setenv("OCRKIT_TEXT_WORKERS", "2")
    assert OcrOptions().text_workers == 2
