"""The USE_FLASH_ATTENTION decision: which attention backends vLLM is told to use, and why."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from ocrkit.model.launch import AttentionDecision, Build, FlashAttentionMode, Gpu

FLASH = "FLASH_ATTN"
TRITON = "TRITON_ATTN"
ENCODER_SDPA = "TORCH_SDPA"  # a ViT-only backend name in vLLM


class ProbeOutcome(BaseModel):
    """A numerical FlashAttention check on the real GPU; ok is None when it could not run."""

    ok: bool | None
    detail: str


Probe = Callable[[Gpu], ProbeOutcome]


class AttentionError(RuntimeError):
    """USE_FLASH_ATTENTION=true was asked for where FlashAttention cannot run."""


def decide(
    mode: FlashAttentionMode,
    gpu: Gpu | None,
    build: Build,
    kv_cache_dtype: str = "auto",
    probe: Probe | None = None,
) -> AttentionDecision:
    """Choose the backends. `probe` is given only when a real GPU is there to test."""
    if gpu is None or build == "cpu":
        where = "this vLLM is a CPU build" if build == "cpu" else "no CUDA GPU was found"
        if mode == "true":
            raise AttentionError(
                f"USE_FLASH_ATTENTION=true needs a CUDA GPU with compute capability >= 8.0, "
                f"but {where}. Use USE_FLASH_ATTENTION=auto or false."
            )
        return AttentionDecision(
            mode=mode,
            platform="cpu",
            backend=None,
            encoder_backend=None,
            flash_attention=False,
            verified=False,
            reason=f"{where}: vLLM's CPU backend chooses its own attention; no attention flags",
        )

    cc = gpu.capability
    sm = f"sm_{cc[0]}{cc[1]}"
    triton = AttentionDecision(
        mode=mode,
        platform="cuda",
        backend=TRITON,
        encoder_backend=ENCODER_SDPA,
        flash_attention=False,
        verified=False,
        reason="",
    )
    if mode == "false":
        return triton.model_copy(
            update={
                "reason": "USE_FLASH_ATTENTION=false: Triton attention and PyTorch SDPA for the "
                "vision encoder, which work on every GPU",
            }
        )

    blocker = _blocker(cc, sm, kv_cache_dtype)
    outcome = None if blocker or probe is None else probe(gpu)
    if outcome is not None and outcome.ok is False:
        blocker = f"the FlashAttention probe on {gpu.name} ({sm}) failed: {outcome.detail}"
    if blocker:
        if mode == "true":
            raise AttentionError(f"USE_FLASH_ATTENTION=true but {blocker}")
        return triton.model_copy(update={"reason": f"auto: fell back to Triton because {blocker}"})

    warnings = []
    jit_only = cc[0] >= 12
    if jit_only:
        warnings.append(
            f"{sm}: the vLLM wheel has no native FlashAttention kernels for this GPU; they are "
            "compiled from PTX on first use (30-60 s) and have correctness reports on related "
            "chips"
        )
    flavour = "FA3" if cc == (9, 0) else "FA2"
    if outcome is not None and outcome.ok:
        reason = f"{flavour} on {gpu.name} ({sm}), verified by a probe: {outcome.detail}"
    elif mode == "auto" and jit_only:
        why = outcome.detail if outcome else "no probe ran (planned for a GPU not on this machine)"
        return triton.model_copy(
            update={
                "reason": f"auto: Triton, because FlashAttention on {sm} must be verified "
                f"by a probe and {why}",
                "warnings": warnings,
            }
        )
    else:
        why = outcome.detail if outcome else "planned for a GPU not on this machine"
        reason = f"{flavour} supported on {sm}; not verified by a probe ({why})"
    return AttentionDecision(
        mode=mode,
        platform="cuda",
        backend=FLASH,
        encoder_backend=FLASH,
        flash_attention=True,
        verified=bool(outcome and outcome.ok),
        reason=f"USE_FLASH_ATTENTION={mode}: {reason}",
        warnings=warnings,
    )


def _blocker(cc: tuple[int, int], sm: str, kv_cache_dtype: str) -> str | None:
    if cc < (8, 0):
        return f"compute capability {cc[0]}.{cc[1]} < 8.0 has no FlashAttention kernels"
    if kv_cache_dtype.startswith("fp8") and cc not in ((9, 0), (10, 0)):
        return f"an FP8 KV cache with FlashAttention works only on sm_90/sm_100, not {sm}"
    return None
