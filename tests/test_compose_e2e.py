"""The deployment for real: every documented profile brought up with its README command,
checked through its published port, then faults and shutdown.

Real Docker (Engine from Debian, Compose v2), real images built from docker/, vLLM's CPU
build standing in for the CUDA image (see docker/ci/compose.override.yaml), tiny models
mounted through MODELS_DIR, `.env` as shipped. Slow: about half an hour on 2 cores."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from harness.cli import Background, json_run
from harness.compose_stack import (
    PROFILES,
    Profile,
    compose,
    container,
    docker,
    down,
    logs,
    plan_of,
    wait_healthy,
)
from harness.images import data_uri, page_png
from harness.servers import REPO
from ocrkit.profiles import load_profile
from samples.make_sample import scanned

pytestmark = [pytest.mark.slow, pytest.mark.compose]
PAGE = page_png()
# Under one 640 px tile: DeepSeek-OCR's vision towers are full-size, and each tile costs
# minutes on these CPUs.
SMALL_PAGE = page_png(400, 560)
NON_ROOT_UID = "10001"


@pytest.fixture(scope="module", autouse=True)
def docker_ready() -> Iterator[None]:
    subprocess.run(["bash", str(REPO / "scripts" / "install-docker.sh")], check=True)
    down()  # whatever an earlier, interrupted run left
    yield
    down()


@pytest.fixture(scope="module")
def pdf40(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docs") / "prospectus40.pdf"
    path.write_bytes(scanned(40))  # no text layer: every page goes to the deployment
    return path


@contextmanager
def running(profile: Profile) -> Iterator[Profile]:
    """Build the profile's images (cached layers make this quick after the first), then the
    README's command verbatim, then wait as a client would."""
    compose(*profile.selection, "build")
    compose(*profile.up)
    try:
        try:
            wait_healthy(profile.url)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{logs()}") from None
        yield profile
    except BaseException:
        print(logs(tail=200))
        raise
    finally:
        down()


# ---- what every profile must do through its published port -----------------------------


def check_services(profile: Profile) -> None:
    running_services = set(compose(*profile.selection, "ps", "--services").stdout.split())
    expected = {profile.adapter, *profile.vllm} | ({"router"} if profile.name == "scale" else set())
    assert running_services == expected, "the README command starts this profile and no other"
    # Every image that promises a non-root user runs as one.
    for service in expected:
        uid = compose("exec", "-T", service, "id", "-u").stdout.strip()
        assert uid == NON_ROOT_UID, (service, uid)


def check_legacy_qwen(profile: Profile) -> None:
    r = httpx.post(
        profile.url + "/ocr",
        json={"image": base64.b64encode(PAGE).decode(), "language": "russian", "max_tokens": 4},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"text", "model", "inference_time", "vram_used_gb"} <= set(body)
    assert body["model"] == profile.model
    assert body["usage"]["completion_tokens"] <= 4 and body["inference_time"] > 0


def check_legacy_prompt_types(profile: Profile) -> None:
    """The prompt-type API (DeepSeek-OCR's, and the current-generation models')."""
    client = load_profile(profile.model_profile).client
    r = httpx.post(
        profile.url + "/ocr",
        json={
            "image": base64.b64encode(SMALL_PAGE).decode(),
            "prompt_type": client.default_prompt,
            "max_tokens": 8,
        },
        timeout=300,
    )
    assert r.status_code == 200, r.text
    assert {"text", "model", "inference_time", "flash_attention"} <= set(r.json())
    r = httpx.post(
        profile.url + "/ocr/figure",
        files={"file": ("page.png", SMALL_PAGE, "image/png")},
        data={"prompt_type": client.default_prompt, "base_size": "1024", "crop_mode": "false"},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    figure = r.json()
    assert isinstance(figure["blocks"], list) and "markdown" in figure and "raw_output" in figure
    assert (figure["image_width"], figure["image_height"]) == (400, 560)
    prompts = httpx.get(profile.url + "/prompts", timeout=10)
    assert prompts.status_code == 200
    assert prompts.json() == {"default": client.default_prompt, "prompt_types": client.prompts}


def check_openai_sdk(profile: Profile, api_key: str = "unused") -> None:
    client = OpenAI(base_url=profile.url + "/v1", api_key=api_key, timeout=300)
    assert profile.model in [m.id for m in client.models.list()]
    content: list[dict] = [{"type": "text", "text": "OCR this page."}]
    if profile.family != "deepseek":  # DeepSeek's /ocr and /ocr/figure send it pages already
        content.insert(0, {"type": "image_url", "image_url": {"url": data_uri(PAGE)}})
    messages = [{"role": "user", "content": content}]
    reply = client.chat.completions.create(model=profile.model, messages=messages, max_tokens=4)
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage is not None and reply.usage.completion_tokens <= 4
    chunks = list(
        client.chat.completions.create(
            model=profile.model, messages=messages, max_tokens=4, stream=True
        )
    )
    assert chunks and chunks[-1].choices[0].finish_reason in ("stop", "length")


def check_info(profile: Profile) -> None:
    info = httpx.get(profile.url + "/info", timeout=10).json()
    plan = plan_of(profile.vllm[0])
    assert info["flash_attention"] is plan["attention"]["flash_attention"]
    assert info["attention"]["reason"] == plan["attention"]["reason"]
    assert info["model"] == profile.model
    # The weights came from MODELS_DIR, read-only, with the Hub offline.
    assert plan["argv"][4] == f"/models/{profile.model}"
    assert plan["env"]["HF_HUB_OFFLINE"] == "1"
    # The pixel bounds reach the image's transformers in the form it takes without warning.
    vllm_log = compose("logs", "--no-color", profile.vllm[0]).stdout
    assert "Application startup complete" in vllm_log
    assert "min_pixels" not in vllm_log, "deprecated Qwen2-VL processor kwargs"


def check_profile(profile: Profile) -> None:
    check_services(profile)
    if profile.family == "qwen":
        check_legacy_qwen(profile)
    else:
        check_legacy_prompt_types(profile)
    check_openai_sdk(profile)
    check_info(profile)


def ocrkit_run(pdf: Path, profile: Profile, out: Path, tmp: Path) -> Background:
    environ = {
        "PATH": os.environ["PATH"],
        "OCRKIT_CACHE_DIR": str(tmp / "cache"),
        "OCRKIT_QUALITY_RETRIES": "0",
    }
    return json_run(pdf, profile.url, out, environ)


def assert_every_page_once(run: Background, out: Path, count: int) -> None:
    assert run.finish() == 0, "".join(run.lines)
    pages = json.loads(out.read_text())["pages"]
    assert [p["page"] for p in pages] == list(range(1, count + 1))
    assert all(p["source"] == "ocr" for p in pages), [p for p in pages if p["source"] != "ocr"]
    assert run.pages_done() == count  # each page finished exactly once


# ---- the profiles ---------------------------------------------------------------------


def test_default_profile_with_keys_restart_and_shutdown(pdf40: Path, tmp_path: Path) -> None:
    profile = PROFILES["default"]
    env_file = REPO / ".env"
    shipped = env_file.read_text()
    with running(profile):
        check_profile(profile)

        # A vLLM restart in the middle of a run loses no page.
        out = tmp_path / "restart.json"
        run = ocrkit_run(pdf40, profile, out, tmp_path)
        run.wait_for_pages(4)
        compose("restart", "vllm-qwen-2b")
        assert_every_page_once(run, out, 40)
        wait_healthy(profile.url)

        # Keys set in .env: the adapter refuses a caller without its key; vLLM refuses
        # anyone without SERVING_API_KEY, which the adapter sends.
        try:
            env_file.write_text(
                shipped + "ADAPTER_API_KEY=e2e-adapter-key\nSERVING_API_KEY=e2e-vllm-key\n"
            )
            compose(*profile.up)
            wait_healthy(profile.url)
            image = {"image": base64.b64encode(PAGE).decode(), "max_tokens": 2}
            assert httpx.post(profile.url + "/ocr", json=image, timeout=300).status_code == 401
            assert httpx.get(profile.url + "/v1/models", timeout=10).status_code == 401
            served = httpx.post(
                profile.url + "/ocr",
                json=image,
                headers={"Authorization": "Bearer e2e-adapter-key"},
                timeout=300,
            )
            assert served.status_code == 200, served.text
            check_openai_sdk(profile, api_key="e2e-adapter-key")
            direct = compose(
                "exec",
                "-T",
                profile.adapter,
                "python3",
                "-c",
                "import urllib.request, urllib.error\n"
                "try: urllib.request.urlopen('http://vllm-qwen-2b:8010/v1/models')\n"
                "except urllib.error.HTTPError as e: print(e.code)",
            )
            assert direct.stdout.strip() == "401"
            # No secret on any command line.
            for service in (profile.adapter, "vllm-qwen-2b"):
                config = docker("inspect", "-f", "{{.Path}} {{json .Args}}", container(service))
                argv = compose(
                    "exec", "-T", service, "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"
                ).stdout
                assert "python" in argv and "e2e-" not in config + argv, service
        finally:
            env_file.write_text(shipped)

        # Shutdown within the grace periods: nothing had to be killed.
        started = time.monotonic()
        compose("stop")
        elapsed = time.monotonic() - started
        codes = {
            s: docker("inspect", "-f", "{{.State.ExitCode}}", container(s))
            for s in (profile.adapter, "vllm-qwen-2b")
        }
        assert elapsed < 60, elapsed  # vLLM's stop_grace_period
        assert "137" not in codes.values(), codes


@pytest.mark.parametrize(
    "name",
    ["large", "deepseek", "deepseek-safe", "cpu", "glm-ocr", "paddleocr-vl", "deepseek-ocr-2"],
)
def test_profile(name: str) -> None:
    profile = PROFILES[name]
    with running(profile):
        check_profile(profile)
        if name == "deepseek-safe":
            assert plan_of(profile.vllm[0])["attention"]["flash_attention"] is False


def test_scale_profile_survives_losing_a_replica(pdf40: Path, tmp_path: Path) -> None:
    profile = PROFILES["scale"]
    with running(profile):
        check_profile(profile)
        # SCALE_PROFILE picks the model: the replicas serve what the adapter asks for.
        assert plan_of("vllm-replica-0")["served_model_name"] == profile.model

        out = tmp_path / "scale.json"
        run = ocrkit_run(pdf40, profile, out, tmp_path)
        run.wait_for_pages(4)
        lost = container("vllm-replica-1")
        # SIGKILL takes vLLM's server (the container's PID 1) down at once; under load the
        # engine's exit event can come tens of seconds later, and Engine 20.10 then answers
        # "did not receive an exit event" (or "is zombie") though the kill went through.
        docker("kill", lost, check=False)
        unhealthy = []
        while run.proc.poll() is None:
            r = httpx.get(profile.url + "/health", timeout=10)
            if r.status_code != 200:
                unhealthy.append(r.text)
            time.sleep(1)
        assert_every_page_once(run, out, 40)
        assert unhealthy == [], "the adapter stays healthy while one replica serves"
        deadline = time.monotonic() + 180
        while docker("inspect", "-f", "{{.State.Running}}", lost) == "true":
            assert time.monotonic() < deadline, "the killed replica never stopped"
            time.sleep(2)

        docker("start", lost)
        deadline = time.monotonic() + 900
        readiness = ""
        while time.monotonic() < deadline:
            readiness = compose(
                "exec",
                "-T",
                "router",
                "python3",
                "-c",
                "import urllib.request; "
                "print(urllib.request.urlopen('http://127.0.0.1:8020/readiness').read().decode())",
                check=False,
            ).stdout
            if '"healthy_workers":2' in readiness:
                break
            time.sleep(5)
        assert '"healthy_workers":2' in readiness, readiness
        wait_healthy(profile.url)
        check_legacy_qwen(profile)
