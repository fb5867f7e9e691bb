"""`serving plan`: every profile x USE_FLASH_ATTENTION x compute capability, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from ocrkit.model.profiles import list_profiles
from serving.attention import AttentionError, ProbeOutcome, decide
from serving.cli import app
from serving.gpu import Gpu

PROFILES = list_profiles()
CAPABILITIES = ["7.5", "8.0", "8.9", "9.0", "12.0", "none"]
FLASH = ("FLASH_ATTN", "FLASH_ATTN")
TRITON = ("TRITON_ATTN", "TORCH_SDPA")
NO_FLAGS = (None, None)
REFUSED = "refused"

# (mode, capability) -> the backends vLLM is told to use, or REFUSED.
EXPECTED: dict[tuple[str, str], Any] = {
    **{("false", cc): TRITON for cc in CAPABILITIES[:-1]},
    ("false", "none"): NO_FLAGS,
    ("true", "7.5"): REFUSED,
    ("true", "8.0"): FLASH,
    ("true", "8.9"): FLASH,
    ("true", "9.0"): FLASH,
    ("true", "12.0"): FLASH,
    ("true", "none"): REFUSED,
    ("auto", "7.5"): TRITON,
    ("auto", "8.0"): FLASH,
    ("auto", "8.9"): FLASH,
    ("auto", "9.0"): FLASH,
    # sm_120 kernels are JIT-compiled from PTX with correctness reports: auto wants a probe.
    ("auto", "12.0"): TRITON,
    ("auto", "none"): NO_FLAGS,
}


def plan(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, dict | None]:
    result = CliRunner().invoke(app, ["plan", *args], env=env or {})
    output = result.stdout if result.exit_code == 0 else result.stderr
    return result.exit_code, output, json.loads(result.stdout) if result.exit_code == 0 else None


def flag(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("mode", ["auto", "true", "false"])
@pytest.mark.parametrize("cc", CAPABILITIES)
def test_plan_matrix(profile: str, mode: str, cc: str) -> None:
    code, out, result = plan(
        "--profile",
        profile,
        "--gpu-capability",
        cc,
        "--vllm-version",
        "0.33.0",
        env={"USE_FLASH_ATTENTION": mode},
    )
    expected = EXPECTED[(mode, cc)]
    if expected == REFUSED:
        assert code == 2
        assert out.startswith("serving: error: USE_FLASH_ATTENTION=true")
        assert "8.0" in out
        return
    assert code == 0, out
    argv = result["argv"]
    assert (flag(argv, "--attention-backend"), flag(argv, "--mm-encoder-attn-backend")) == expected
    attention = result["attention"]
    assert attention["flash_attention"] is (expected == FLASH)
    assert attention["reason"]
    assert "VLLM_ATTENTION_BACKEND" not in result["env"]
    if cc == "12.0" and expected == FLASH:
        assert any("PTX" in w for w in attention["warnings"])
    if cc == "none":
        assert "--gpu-memory-utilization" not in argv
    else:
        assert flag(argv, "--gpu-memory-utilization") == "0.9"


@pytest.mark.parametrize("profile", PROFILES)
def test_plan_carries_the_profile(profile: str) -> None:
    _, _, result = plan("--profile", profile, "--gpu-capability", "8.9")
    argv = result["argv"]
    assert argv[1:4] == ["-m", "serving.vllm_main", "serve"]
    assert argv[4] == result["model"]
    assert json.loads(flag(argv, "--limit-mm-per-prompt")) == {"image": 1, "video": 0}
    assert flag(argv, "--served-model-name") == result["model"]
    assert flag(argv, "--shutdown-timeout") == "30"
    if profile.startswith("deepseek-ocr"):
        model = {"deepseek-ocr": "deepseek-ai/DeepSeek-OCR"}.get(
            profile, "deepseek-ai/DeepSeek-OCR-2"
        )
        assert argv[4] == model
        assert flag(argv, "--logits-processors") == (
            "vllm.model_executor.models.deepseek_ocr:NGramPerReqLogitsProcessor"
        )
        assert "--no-enable-prefix-caching" in argv
        assert flag(argv, "--mm-processor-cache-gb") == "0"
        assert flag(argv, "--max-model-len") == "8192"
        assert result["env"]["VLLM_USE_V2_MODEL_RUNNER"] == "0"
    elif profile == "glm-ocr":
        assert argv[4] == "zai-org/GLM-OCR"
        # The recipe's MTP speculative decoding, on a GPU.
        assert json.loads(flag(argv, "--speculative-config")) == {
            "method": "mtp",
            "num_speculative_tokens": 1,
        }
        assert "--no-enable-prefix-caching" in argv and "--trust-remote-code" not in argv
    elif profile == "paddleocr-vl":
        assert argv[4] == "PaddlePaddle/PaddleOCR-VL-1.5"
        assert flag(argv, "--max-num-batched-tokens") == "16384"
        assert "--no-enable-prefix-caching" in argv
        assert flag(argv, "--mm-processor-cache-gb") == "0"
        assert "--trust-remote-code" not in argv  # transformers 5 has the model built in
    else:
        assert json.loads(flag(argv, "--mm-processor-kwargs")) == {
            "size": {"shortest_edge": 200704, "longest_edge": 1003520}
        }
        assert "--enable-prefix-caching" in argv
        assert "--logits-processors" not in argv


def test_old_vllm_gets_the_environment_variable() -> None:
    _, _, result = plan(
        "--gpu-capability", "8.9", "--vllm-version", "0.11.0", env={"USE_FLASH_ATTENTION": "true"}
    )
    assert result["env"]["VLLM_ATTENTION_BACKEND"] == "FLASH_ATTN"
    assert "--attention-backend" not in result["argv"]
    assert "--mm-encoder-attn-backend" not in result["argv"]


def test_cpu_build_passes_no_attention_flags_even_beside_a_gpu() -> None:
    code, _, result = plan(
        "--gpu-capability",
        "8.9",
        "--vllm-version",
        "0.32.0+cpu",
        env={"USE_FLASH_ATTENTION": "auto"},
    )
    assert code == 0
    assert result["attention"]["platform"] == "cpu"
    assert "--attention-backend" not in result["argv"]
    code, out, _ = plan(
        "--gpu-capability",
        "8.9",
        "--vllm-version",
        "0.32.0+cpu",
        env={"USE_FLASH_ATTENTION": "true"},
    )
    assert code == 2 and "CPU build" in out


@pytest.mark.parametrize(
    ("cc", "mode", "expected"),
    [
        ("8.9", "auto", TRITON),
        ("9.0", "auto", FLASH),
        ("8.9", "true", REFUSED),
        ("9.0", "true", FLASH),
        ("8.9", "false", TRITON),
    ],
)
def test_fp8_kv_cache_needs_sm90_for_flash_attention(cc: str, mode: str, expected: Any) -> None:
    code, out, result = plan(
        "--gpu-capability", cc, env={"USE_FLASH_ATTENTION": mode, "KV_CACHE_DTYPE": "fp8"}
    )
    if expected == REFUSED:
        assert code == 2 and "FP8" in out
        return
    assert flag(result["argv"], "--attention-backend") == expected[0]
    assert flag(result["argv"], "--kv-cache-dtype") == "fp8"


def test_environment_overrides() -> None:
    env = {
        "QWEN_MODEL": "/models/my-qwen",
        "MAX_NEW_TOKENS": "512",
        "GPU_MEMORY_UTILIZATION": "0.5",
        "MAX_MODEL_LEN": "4096",
        "MAX_NUM_SEQS": "7",
        "SERVING_HOST": "0.0.0.0",
        "SERVING_PORT": "9000",
        "SERVING_EXTRA_ARGS": "--enforce-eager --seed '7'",
        "SERVING_SHUTDOWN_TIMEOUT": "45",
    }
    _, _, result = plan("--gpu-capability", "8.9", env=env)
    argv = result["argv"]
    assert argv[4] == "/models/my-qwen"
    # MAX_NEW_TOKENS is a default the adapter applies, never a cap inside vLLM.
    assert "--override-generation-config" not in argv
    assert flag(argv, "--gpu-memory-utilization") == "0.5"
    assert flag(argv, "--max-model-len") == "4096"
    assert flag(argv, "--max-num-seqs") == "7"
    assert (flag(argv, "--host"), flag(argv, "--port")) == ("0.0.0.0", "9000")
    assert flag(argv, "--shutdown-timeout") == "45"
    assert argv[-3:] == ["--enforce-eager", "--seed", "7"]
    # QWEN_MODEL belongs to the Qwen profiles only.
    _, _, result = plan("--profile", "deepseek-ocr", "--gpu-capability", "8.9", env=env)
    assert result["argv"][4] == "deepseek-ai/DeepSeek-OCR"


def test_profile_from_environment() -> None:
    _, _, result = plan("--gpu-capability", "8.9", env={"SERVING_PROFILE": "qwen2-vl-7b"})
    assert result["model"] == "Qwen/Qwen2-VL-7B-Instruct"


def test_api_key_goes_to_the_environment_and_never_into_output() -> None:
    secret = "sk-very-secret-123"
    code, out, result = plan(
        "--gpu-capability",
        "8.9",
        env={"SERVING_API_KEY": secret, "SERVING_EXTRA_ARGS": f"--api-key {secret}"},
    )
    assert code == 0
    assert secret not in out
    assert result["env"]["VLLM_API_KEY"] == "***"
    assert "--api-key" in result["argv"]


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_blank_settings_count_as_unset(blank: str | None) -> None:
    # Compose writes `${VAR:-}` as "": that must mean "not set", never "the key is empty".
    names = [
        "SERVING_API_KEY",
        "VLLM_API_KEY",
        "QWEN_MODEL",
        "SERVED_MODEL_NAME",
        "USE_FLASH_ATTENTION",
        "GPU_MEMORY_UTILIZATION",
        "MAX_MODEL_LEN",
        "SERVING_EXTRA_ARGS",
        "SERVING_MODELS_DIR",
        "SERVING_PLAN_FILE",
    ]
    env = {} if blank is None else dict.fromkeys(names, blank)
    code, out, result = plan("--gpu-capability", "8.9", env=env)
    assert code == 0, out
    assert "VLLM_API_KEY" not in result["env"]
    assert result["argv"][4] == result["served_model_name"] == "Qwen/Qwen2-VL-2B-Instruct"
    assert flag(result["argv"], "--attention-backend") == "TRITON_ATTN"
    assert flag(result["argv"], "--gpu-memory-utilization") == "0.9"
    assert result["argv"][-2:] == ["--mm-encoder-attn-backend", "TORCH_SDPA"]  # no extra args


def test_weights_under_the_models_dir_are_served_offline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"SERVING_MODELS_DIR": str(tmp_path)}
    _, _, result = plan("--gpu-capability", "8.9", env=env)
    assert result["argv"][4] == "Qwen/Qwen2-VL-2B-Instruct", "not there: from the Hub"
    assert "HF_HUB_OFFLINE" not in result["env"]

    local = tmp_path / "Qwen" / "Qwen2-VL-2B-Instruct"
    local.mkdir(parents=True)
    (local / "config.json").write_text("{}")
    _, _, result = plan("--gpu-capability", "8.9", env=env)
    assert result["argv"][4] == str(local)
    assert flag(result["argv"], "--served-model-name") == "Qwen/Qwen2-VL-2B-Instruct"
    assert result["env"]["HF_HUB_OFFLINE"] == result["env"]["TRANSFORMERS_OFFLINE"] == "1"
    # The 7B is not in the folder: it still comes from the Hub.
    _, _, result = plan("--profile", "qwen2-vl-7b", "--gpu-capability", "8.9", env=env)
    assert result["argv"][4] == "Qwen/Qwen2-VL-7B-Instruct"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--profile", "nope"], {}, "unknown profile 'nope'; known profiles: deepseek-ocr, "),
        (
            ["--gpu-capability", "8.9"],
            {"USE_FLASH_ATTENTION": "yes"},
            "invalid USE_FLASH_ATTENTION='yes'",
        ),
        (["--gpu-capability", "8.9"], {"MAX_MODEL_LEN": "lots"}, "invalid MAX_MODEL_LEN='lots'"),
        (["--gpu-capability", "eight"], {}, "compute capability must look like"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(args: list[str], env: dict, message: str) -> None:
    code, out, _ = plan(*args, env=env)
    assert code == 2
    assert out.startswith("serving: error: ")
    assert message in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    "env",
    [
        {"SERVING_PROFILE": "nope"},
        {"USE_FLASH_ATTENTION": "maybe"},
    ],
)
def test_run_refuses_before_starting_anything(env: dict[str, str]) -> None:
    # This environment has no vLLM: had `run` exec'd it, python would fail on the import
    # with exit 1 and a traceback, not exit 2 with our message.
    proc = subprocess.run(
        [sys.executable, "-m", "serving", "run"],
        env={**env, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("serving: error: ")
    assert "vllm" not in proc.stderr.lower().replace("known profiles", "")


def test_run_refuses_true_without_a_gpu() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "serving", "run"],
        env={"USE_FLASH_ATTENTION": "true", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "USE_FLASH_ATTENTION=true needs a CUDA GPU" in proc.stderr


# ---- the decision with a real-GPU probe in the loop -----------------------------------

GPU = {cc: Gpu(index=0, name="test", capability=cc) for cc in [(8, 9), (9, 0), (12, 0)]}


def probe_says(ok: bool | None):  # type: ignore[no-untyped-def]
    calls: list[Gpu] = []

    def probe(gpu: Gpu) -> ProbeOutcome:
        calls.append(gpu)
        return ProbeOutcome(ok=ok, detail=f"probe said {ok}")

    probe.calls = calls  # type: ignore[attr-defined]
    return probe


def test_auto_falls_back_and_says_why_when_the_probe_fails() -> None:
    d = decide("auto", GPU[(8, 9)], "cuda", probe=probe_says(False))
    assert (d.backend, d.encoder_backend) == TRITON
    assert "probe" in d.reason and "probe said False" in d.reason


def test_auto_uses_flash_attention_on_sm120_only_when_verified() -> None:
    assert decide("auto", GPU[(12, 0)], "cuda", probe=probe_says(True)).backend == "FLASH_ATTN"
    assert decide("auto", GPU[(12, 0)], "cuda", probe=probe_says(None)).backend == "TRITON_ATTN"
    d = decide("auto", GPU[(9, 0)], "cuda", probe=probe_says(True))
    assert d.verified and "FA3" in d.reason


def test_true_refuses_when_the_probe_fails() -> None:
    with pytest.raises(AttentionError, match="probe said False"):
        decide("true", GPU[(9, 0)], "cuda", probe=probe_says(False))


def test_false_never_probes() -> None:
    probe = probe_says(True)
    decide("false", GPU[(9, 0)], "cuda", probe=probe)
    assert probe.calls == []  # type: ignore[attr-defined]


def test_blank_optional_secrets_do_not_reach_vllm() -> None:
    from serving.cli import launch_env

    env = launch_env(
        {"HF_TOKEN": "", "VLLM_API_KEY": " ", "SERVING_API_KEY": "", "PATH": "/bin"},
        {"HF_HUB_OFFLINE": "1"},
    )
    assert env == {"PATH": "/bin", "HF_HUB_OFFLINE": "1"}
    kept = launch_env({"HF_TOKEN": "hf_x"}, {"VLLM_API_KEY": "k"})
    assert kept == {"HF_TOKEN": "hf_x", "VLLM_API_KEY": "k"}


def test_speculative_decoding_is_planned_on_every_build() -> None:
    # vLLM's CPU build runs MTP too (the glm-ocr compose profile serves it).
    for args in (["--gpu-capability", "8.9"], ["--vllm-version", "0.32.0+cpu"]):
        _, _, result = plan("--profile", "glm-ocr", *args)
        assert result is not None
        assert json.loads(flag(result["argv"], "--speculative-config"))["method"] == "mtp"


def test_serving_model_replaces_any_profile_model() -> None:
    for profile in ("glm-ocr", "qwen2-vl-2b", "deepseek-ocr"):
        _, _, result = plan("--profile", profile, env={"SERVING_MODEL": "/models/mine"})
        assert result is not None and result["model"] == "/models/mine"
