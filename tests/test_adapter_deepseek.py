"""The adapter's DeepSeek-OCR API in front of a real vLLM (tiny config, dummy weights).

Each image costs seconds on a CPU (vLLM's SAM and CLIP towers are full size): few requests.
"""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from harness.images import page_png
from harness.names import DEEPSEEK_NAME
from harness.servers import REPO, ManagedServer, adapter_server
from ocrkit import load_profile

pytestmark = pytest.mark.slow


def test_prompts_lists_the_legacy_prompt_types(deepseek_adapter: ManagedServer) -> None:
    body = httpx.get(deepseek_adapter.url + "/prompts").json()
    assert body["default"] == "ocr_simple"
    assert {"default", "ocr_simple", "parse_figure", "table", "russian", "bpmn"} <= set(
        body["prompt_types"]
    )


def test_ocr_with_a_prompt_type(deepseek_adapter: ManagedServer) -> None:
    r = httpx.post(
        deepseek_adapter.url + "/ocr",
        timeout=600,
        json={"image": base64.b64encode(page_png(400, 560)).decode(), "prompt_type": "ocr_simple"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == DEEPSEEK_NAME
    assert {"text", "raw_output", "inference_time", "flash_attention"} <= set(body)
    assert body["usage"]["completion_tokens"] <= 8  # MAX_NEW_TOKENS of this adapter
    assert body["usage"]["prompt_tokens"] > 100


def test_figure_answers_with_blocks_and_markdown(deepseek_adapter: ManagedServer) -> None:
    r = httpx.post(
        deepseek_adapter.url + "/ocr/figure",
        timeout=600,
        # Under one 640 px tile: DeepSeek-OCR's vision towers are full-size in vLLM, and a
        # page cut into tiles took over 300 s in one model step on 2 CPU cores.
        files={"file": ("page.png", page_png(400, 560), "image/png")},
        data={
            "prompt_type": "parse_figure",
            "base_size": "1024",
            "image_size": "640",
            "crop_mode": "true",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["blocks"], list)
    assert isinstance(body["markdown"], str) and isinstance(body["raw_output"], str)
    assert (body["image_width"], body["image_height"]) == (400, 560)


def test_unknown_prompt_type_and_bad_upload(deepseek_adapter: ManagedServer) -> None:
    r = httpx.post(
        deepseek_adapter.url + "/ocr",
        json={"image": base64.b64encode(page_png()).decode(), "prompt_type": "poetry"},
    )
    assert r.status_code == 422 and "poetry" in r.json()["detail"]
    r = httpx.post(
        deepseek_adapter.url + "/ocr/figure",
        files={"file": ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")},
    )
    assert r.status_code == 415
    assert load_profile("deepseek-ocr").client.extra_body["vllm_xargs"]


def test_every_request_carries_the_profile_xargs(
    deepseek_server: ManagedServer, tmp_path: Path, logs_dir: Path
) -> None:
    """An adapter whose profile sets an invalid ngram_size gets vLLM's own rejection: proof
    that the profile's vllm_xargs travel with every request to the logits processor."""
    text = (REPO / "configs" / "deepseek-ocr.toml").read_text()
    (tmp_path / "deepseek-bad-guard.toml").write_text(
        text.replace("ngram_size = 30", "ngram_size = -1")
    )
    adapter = adapter_server(
        "adapter-bad-guard",
        logs_dir,
        {
            "SERVING_PROFILE": "deepseek-bad-guard",
            "OCRKIT_CONFIGS": str(tmp_path),
            "UPSTREAM_URL": deepseek_server.url,
            "SERVED_MODEL_NAME": DEEPSEEK_NAME,
        },
    )
    adapter.start()
    try:
        r = httpx.post(
            adapter.url + "/ocr",
            timeout=600,
            json={"image": base64.b64encode(page_png(300, 300)).decode(), "max_tokens": 1},
        )
    finally:
        adapter.stop()
    assert r.status_code == 400
    assert "ngram_size" in r.json()["detail"]
