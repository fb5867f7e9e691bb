"""What GPUs this machine has: through PyTorch when it is installed, else `nvidia-smi`."""

from __future__ import annotations

import shutil
import subprocess

from ocrkit.model.launch import Gpu

__all__ = ["Gpu", "detect_gpus", "parse_capability"]


def parse_capability(text: str) -> tuple[int, int]:
    """'8.9' -> (8, 9); raises ValueError on anything else."""
    major, sep, minor = text.strip().partition(".")
    if not sep or not major.isdigit() or not minor.isdigit():
        raise ValueError(f"compute capability must look like 8.0 or 12.0, got {text!r}")
    return int(major), int(minor)


def detect_gpus() -> tuple[list[Gpu], str]:
    """The CUDA GPUs found, and how they were found (for the plan's explanation)."""
    try:
        import torch
    except ImportError:
        return _from_nvidia_smi()
    if not torch.cuda.is_available():
        return [], f"torch {torch.__version__}: CUDA not available"
    gpus = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        gpus.append(
            Gpu(
                index=i,
                name=props.name,
                capability=(props.major, props.minor),
                memory_gb=round(props.total_memory / 2**30, 1),
            )
        )
    return gpus, f"torch {torch.__version__} (CUDA {torch.version.cuda})"


def _from_nvidia_smi() -> tuple[list[Gpu], str]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return [], "no torch and no nvidia-smi"
    try:
        out = subprocess.run(
            [
                exe,
                "--query-gpu=index,name,compute_cap,memory.total",
                "--format=csv,noheader,nounits",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return [], f"nvidia-smi failed: {exc}"
    gpus = []
    for line in out.strip().splitlines():
        index, name, cap, mem = (field.strip() for field in line.split(","))
        gpus.append(
            Gpu(
                index=int(index),
                name=name,
                capability=parse_capability(cap),
                memory_gb=round(float(mem) / 1024, 1),
            )
        )
    return gpus, "nvidia-smi"
