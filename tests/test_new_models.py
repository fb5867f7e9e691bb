"""The current-generation profiles served by the real CPU vLLM under their real profiles,
each a tiny random-weight checkpoint built here: vLLM (`serving run`), the adapter's
prompt-type API, and the client through both. The words are noise; the path is real."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.cli import env, ocrkit, pages_of
from harness.fakes import make_pdf
from harness.images import page_png
from harness.servers import ManagedServer, adapter_server, build_tiny_model, vllm_server
from ocrkit import load_profile

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["glm-ocr", "paddleocr-vl"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, logs_dir: Path
) -> Iterator[tuple[str, ManagedServer, ManagedServer]]:
    """vLLM + adapter for one profile, up for that profile's tests only (memory)."""
    profile = request.param
    model = build_tiny_model(profile, tmp_path_factory.mktemp(f"tiny-{profile}"))
    served = f"tiny-{profile}"
    env = {"SERVING_MODEL": str(model), "SERVED_MODEL_NAME": served}
    if profile == "glm-ocr":
        # Random weights for the MTP layer too (transformers has none to save).
        env["SERVING_EXTRA_ARGS"] = "--enforce-eager --load-format dummy"
    vllm = vllm_server(f"vllm-{profile}", logs_dir, profile, env)
    vllm.start()
    adapter = adapter_server(
        f"adapter-{profile}",
        logs_dir,
        {
            "SERVING_PROFILE": profile,
            "UPSTREAM_URL": vllm.url,
            "SERVED_MODEL_NAME": served,
            "MAX_NEW_TOKENS": "16",
        },
    )
    adapter.start()
    yield profile, vllm, adapter
    adapter.kill()
    vllm.kill()


def test_vllm_serves_it_with_the_profile_flags(
    stack: tuple[str, ManagedServer, ManagedServer],
) -> None:
    profile, vllm, _ = stack
    log = vllm.log_text()
    command = log.split("exec:")[-1].splitlines()[0]
    assert "--no-enable-prefix-caching" in command and "--trust-remote-code" not in command
    if profile == "glm-ocr":
        # The recipe's MTP speculative decoding runs on the CPU build too.
        assert '--speculative-config {"method": "mtp", "num_speculative_tokens": 1}' in command
        assert "Detected MTP model" in log
    else:
        assert "--max-num-batched-tokens 16384" in command
    models = httpx.get(vllm.url + "/v1/models").json()["data"]
    assert [m["id"] for m in models] == [f"tiny-{profile}"]


def test_prompt_type_ocr_and_prompts(stack: tuple[str, ManagedServer, ManagedServer]) -> None:
    profile, _, adapter = stack
    client = load_profile(profile).client
    prompts = httpx.get(adapter.url + "/prompts").json()
    assert prompts == {"default": client.default_prompt, "prompt_types": client.prompts}
    for prompt_type in (None, "table"):
        body = {"image": base64.b64encode(page_png(600, 800)).decode()}
        if prompt_type:
            body["prompt_type"] = prompt_type
        r = httpx.post(adapter.url + "/ocr", json=body, timeout=300)
        assert r.status_code == 200, r.text
        reply = r.json()
        assert reply["model"] == f"tiny-{profile}"
        assert 0 < reply["usage"]["completion_tokens"] <= 16  # MAX_NEW_TOKENS
        assert reply["usage"]["prompt_tokens"] > 100  # the page's visual tokens
        assert "<|" not in reply["text"]  # post-processed: no special tokens left


def test_the_client_reads_a_pdf_through_v1_and_the_legacy_api(
    stack: tuple[str, ManagedServer, ManagedServer], tmp_path: Path
) -> None:
    profile, _, adapter = stack
    pdf = make_pdf(tmp_path / "doc.pdf", ["Облигации серии 001", "Купон 12,5 %"])
    for engine in ("openai", "legacy"):
        out = tmp_path / f"{engine}.json"
        proc = ocrkit(
            pdf,
            "--route",
            "ocr",  # a born-digital page: the default route would read its text layer
            "--engine",
            engine,
            "--profile",
            profile,
            "--url",
            adapter.url,
            "--max-tokens",
            "8",
            "--format",
            "json",
            "-o",
            out,
            environ=env(tmp_path),
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        pages = pages_of(out)
        assert [(p["page"], p["source"], p["engine"]) for p in pages] == [
            (1, "ocr", engine),
            (2, "ocr", engine),
        ]
        assert all(p["completion_tokens"] <= 8 for p in pages)
        assert json.dumps(pages).count("<|") == 0


def test_deepseek_ocr_2_serves_on_the_cpu_build(
    tmp_path_factory: pytest.TempPathFactory, logs_dir: Path
) -> None:
    """Config + tokenizer with random weights: vLLM's SAM and Qwen2 vision towers are
    full-size, so one small page (one global view, no tiles) and few tokens."""
    model = build_tiny_model("deepseek-ocr-2", tmp_path_factory.mktemp("tiny-deepseek-ocr-2"))
    vllm = vllm_server(
        "vllm-deepseek-ocr-2",
        logs_dir,
        "deepseek-ocr-2",
        {
            "SERVING_MODEL": str(model),
            "SERVED_MODEL_NAME": "tiny-deepseek-ocr-2",
            "SERVING_EXTRA_ARGS": "--enforce-eager --load-format dummy",
        },
    )
    vllm.start()
    adapter = adapter_server(
        "adapter-deepseek-ocr-2",
        logs_dir,
        {
            "SERVING_PROFILE": "deepseek-ocr-2",
            "UPSTREAM_URL": vllm.url,
            "SERVED_MODEL_NAME": "tiny-deepseek-ocr-2",
            "MAX_NEW_TOKENS": "8",
            "UPSTREAM_TIMEOUT": "900",
        },
    )
    try:
        adapter.start()
        command = vllm.log_text().split("exec:")[-1].splitlines()[0]
        assert "NGramPerReqLogitsProcessor" in command
        r = httpx.post(
            adapter.url + "/ocr",
            json={"image": base64.b64encode(page_png(400, 560)).decode()},
            timeout=900,
        )
        assert r.status_code == 200, r.text
        reply = r.json()
        assert reply["model"] == "tiny-deepseek-ocr-2"
        assert 0 < reply["usage"]["completion_tokens"] <= 8
        assert reply["usage"]["prompt_tokens"] > 100
        assert "<|ref|>" not in reply["text"] and "raw_output" in reply
    finally:
        adapter.kill()
        vllm.kill()
