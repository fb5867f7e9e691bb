"""The one translation of a profile's `[vllm]` section (plus the deployment's overrides)
into vLLM engine arguments, in `vllm serve`'s command-line form.

`serving run` puts them on vLLM's command line; the in-process `vllm` engine parses the
same list with vLLM's own argument parser. Both therefore start the same engine.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from ocrkit.model.profiles import ModelProfile
from ocrkit.model.settings import VllmOverrides

# Set in the launched environment when the weights are local: nothing may reach the Hub.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@dataclass(frozen=True)
class VllmArgs:
    model: str  # what vLLM loads: a model id or a local folder
    served_model_name: str
    args: list[str]  # engine flags, after the model
    extra: list[str]  # the profile's and the deployment's extra flags: last, so they win
    env: dict[str, str]  # environment vLLM needs for this model
    kv_cache_dtype: str


def vllm_args(profile: ModelProfile, settings: VllmOverrides, *, on_gpu: bool) -> VllmArgs:
    spec = profile.vllm
    model, local = settings.local_weights_for(profile)
    kv_cache_dtype = settings.kv_cache_dtype_for(profile)
    args = [
        "--served-model-name",
        settings.served_name_for(profile),
        "--max-model-len",
        str(settings.max_model_len or spec.max_model_len),
        "--max-num-seqs",
        str(settings.max_num_seqs_for(profile)),
        "--limit-mm-per-prompt",
        json.dumps(spec.limit_mm_per_prompt),
        "--enable-prefix-caching" if spec.enable_prefix_caching else "--no-enable-prefix-caching",
    ]
    if on_gpu:
        util = settings.gpu_memory_utilization or spec.gpu_memory_utilization
        args += ["--gpu-memory-utilization", str(util)]
    if spec.max_num_batched_tokens is not None:
        args += ["--max-num-batched-tokens", str(spec.max_num_batched_tokens)]
    if spec.speculative_config:
        args += ["--speculative-config", json.dumps(spec.speculative_config)]
    if spec.mm_processor_kwargs:
        args += ["--mm-processor-kwargs", json.dumps(spec.mm_processor_kwargs)]
    if spec.mm_processor_cache_gb is not None:
        args += ["--mm-processor-cache-gb", f"{spec.mm_processor_cache_gb:g}"]
    if spec.logits_processors:
        args += ["--logits-processors", *spec.logits_processors]
    if kv_cache_dtype != "auto":
        args += ["--kv-cache-dtype", kv_cache_dtype]
    if spec.dtype != "auto":
        args += ["--dtype", spec.dtype]
    if spec.trust_remote_code:
        args.append("--trust-remote-code")
    env = dict(spec.env)
    if local:
        env.update(OFFLINE_ENV)
    return VllmArgs(
        model=model,
        served_model_name=settings.served_name_for(profile),
        args=args,
        extra=[*spec.extra_args, *shlex.split(settings.extra_args)],
        env=env,
        kv_cache_dtype=kv_cache_dtype,
    )
