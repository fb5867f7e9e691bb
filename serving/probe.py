"""Checks which attention backends really work on this machine's GPUs.

Each check runs in a child process: a kernel that is missing or faults can leave the CUDA
context unusable, and the launcher must stay able to report and fall back.
Run as `python -m serving.probe CHECK GPU_INDEX` it performs one check and prints JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from serving.attention import ProbeOutcome
from serving.gpu import Gpu, detect_gpus

CHECKS = ("FLASH_ATTN", "TORCH_SDPA", "TRITON_ATTN")
# First use of FlashAttention on sm_120 compiles kernels from PTX: allow for it.
TIMEOUT_S = 240
TOLERANCE = 2e-2


def flash_attention_probe(gpu: Gpu) -> ProbeOutcome:
    return run_check("FLASH_ATTN", gpu.index)


def run_check(check: str, index: int) -> ProbeOutcome:
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "serving.probe", check, str(index)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return ProbeOutcome(ok=False, detail=f"{check} check hung for more than {TIMEOUT_S} s")
    lines = proc.stdout.strip().splitlines()
    try:
        return ProbeOutcome.model_validate_json(lines[-1])
    except (IndexError, ValueError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return ProbeOutcome(
            ok=False, detail=f"{check} check crashed (exit {proc.returncode}): {tail}"
        )


def report() -> dict[str, Any]:
    """`serving probe`: the GPUs, and per GPU what each attention backend did."""
    gpus, source = detect_gpus()
    from serving.vllm_install import detect_vllm

    vllm = detect_vllm()
    out: dict[str, Any] = {
        "gpu_source": source,
        "vllm": vllm.model_dump(),
        "torch": _torch_version(),
        "gpus": [],
    }
    for gpu in gpus:
        checks = {name: run_check(name, gpu.index).model_dump() for name in CHECKS}
        out["gpus"].append(
            {**gpu.model_dump(), "capability": gpu.capability_str, "backends": checks}
        )
    if not gpus:
        out["note"] = "no CUDA GPU: vLLM would run on its CPU backend, no attention backend applies"
    return out


def _torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return f"{torch.__version__} (CUDA {torch.version.cuda})"


# ---- the checks themselves, run in the child process ----------------------------------


def _reference(q: Any, k: Any, v: Any, lengths: list[int]) -> Any:
    import torch

    outs, start = [], 0
    for n in lengths:
        sl = slice(start, start + n)
        # (tokens, heads, dim) -> (1, heads, tokens, dim), in float32 on the math path.
        qs, ks, vs = (t[sl].transpose(0, 1).unsqueeze(0).float() for t in (q, k, v))
        ref = torch.nn.functional.scaled_dot_product_attention(qs, ks, vs, is_causal=True)
        outs.append(ref.squeeze(0).transpose(0, 1))
        start += n
    return torch.cat(outs)


def _inputs(index: int) -> tuple[Any, Any, Any, list[int]]:
    import torch

    torch.manual_seed(0)
    lengths = [5, 17, 64]
    total = sum(lengths)
    device = torch.device("cuda", index)
    q, k, v = (torch.randn(total, 4, 64, device=device, dtype=torch.float16) for _ in range(3))
    return q, k, v, lengths


def _check_flash(index: int) -> ProbeOutcome:
    import torch

    try:
        from vllm.vllm_flash_attn import flash_attn_varlen_func
    except ImportError as exc:
        return ProbeOutcome(
            ok=None, detail=f"not checked: vLLM's FlashAttention is not importable ({exc})"
        )
    q, k, v, lengths = _inputs(index)
    cu = torch.tensor(
        [0, *torch.tensor(lengths).cumsum(0).tolist()], dtype=torch.int32, device=q.device
    )
    major, _ = torch.cuda.get_device_capability(index)
    fa_version = 3 if major == 9 else 2
    out = flash_attn_varlen_func(
        q,
        k,
        v,
        max_seqlen_q=max(lengths),
        cu_seqlens_q=cu,
        max_seqlen_k=max(lengths),
        cu_seqlens_k=cu,
        causal=True,
        fa_version=fa_version,
    )
    torch.cuda.synchronize(index)
    return _compare(out, _reference(q, k, v, lengths), f"FA{fa_version}")


def _check_sdpa(index: int) -> ProbeOutcome:
    import torch

    q, k, v, lengths = _inputs(index)
    outs, start = [], 0
    for n in lengths:
        sl = slice(start, start + n)
        qs, ks, vs = (t[sl].transpose(0, 1).unsqueeze(0) for t in (q, k, v))
        outs.append(
            torch.nn.functional.scaled_dot_product_attention(qs, ks, vs, is_causal=True)
            .squeeze(0)
            .transpose(0, 1)
        )
        start += n
    torch.cuda.synchronize(index)
    return _compare(torch.cat(outs), _reference(q, k, v, lengths), "fp16 SDPA")


def _check_triton(index: int) -> ProbeOutcome:
    try:
        import torch
        import triton
        import triton.language as tl
    except ImportError as exc:
        return ProbeOutcome(ok=None, detail=f"not checked: Triton is not importable ({exc})")

    @triton.jit
    def _add(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        tl.store(
            out_ptr + offs,
            tl.load(x_ptr + offs, mask=mask) + tl.load(y_ptr + offs, mask=mask),
            mask=mask,
        )

    x = torch.randn(1000, device=torch.device("cuda", index))
    y = torch.randn_like(x)
    out = torch.empty_like(x)
    _add[(triton.cdiv(1000, 256),)](x, y, out, 1000, BLOCK=256)
    torch.cuda.synchronize(index)
    err = (out - (x + y)).abs().max().item()
    ok = err < 1e-5
    return ProbeOutcome(
        ok=ok, detail=f"Triton {triton.__version__} compiled and ran a kernel, max error {err:.1e}"
    )


def _compare(out: Any, ref: Any, what: str) -> ProbeOutcome:
    err = (out.float() - ref).abs().max().item()
    ok = err < TOLERANCE
    verdict = "matches" if ok else "DIFFERS FROM"
    return ProbeOutcome(
        ok=ok, detail=f"{what} {verdict} the float32 reference (max error {err:.2e})"
    )


def _main(argv: list[str]) -> int:
    check, index = argv[0], int(argv[1])
    try:
        import torch

        if not torch.cuda.is_available():
            outcome = ProbeOutcome(ok=None, detail="not checked: CUDA is not available to torch")
        else:
            outcome = {
                "FLASH_ATTN": _check_flash,
                "TORCH_SDPA": _check_sdpa,
                "TRITON_ATTN": _check_triton,
            }[check](index)
    except ImportError as exc:
        outcome = ProbeOutcome(ok=None, detail=f"not checked: {exc}")
    except Exception as exc:  # a missing kernel image surfaces as a RuntimeError here
        outcome = ProbeOutcome(ok=False, detail=f"{type(exc).__name__}: {exc}".splitlines()[0])
    print(json.dumps(outcome.model_dump()))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
