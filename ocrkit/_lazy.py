"""Package exports loaded on first use: a package can name its whole public API while
importing it stays cheap (the launcher and the adapter import the profiles, not PDFium)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `exports[name]` (a module under `package`, or an
    absolute one) the first time `name` is asked for."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = exports[name]
        return getattr(importlib.import_module(module, package), name)

    return __getattr__
