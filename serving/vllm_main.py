"""`vllm serve`, with its HTTP server's shutdown bounded.

On SIGTERM vLLM drains the engine (`--shutdown-timeout`) and then waits for its HTTP
connections to close, with no limit: uvicorn's `timeout_graceful_shutdown` defaults to None
and vLLM 0.32 has no option for it. A client that stopped part-way through sending a request
(a frozen process, a dropped link) then keeps vLLM up until something kills it. Here uvicorn's
default becomes SERVING_HTTP_SHUTDOWN_TIMEOUT seconds, so after the engine has drained
vLLM waits that long for the last responses to leave, cancels what is left and exits.

The default is changed on import, not in `main`: an API server process started by
multiprocessing's spawn imports this module again and gets the same limit.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import uvicorn

ENV = "SERVING_HTTP_SHUTDOWN_TIMEOUT"


def _bound_shutdown() -> None:
    timeout = float(os.environ.get(ENV, "10"))
    original = uvicorn.Config.__init__
    if getattr(original, "_serving_bounded", False):
        return

    @functools.wraps(original)
    def init(self: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timeout_graceful_shutdown", timeout)
        original(self, *args, **kwargs)

    init._serving_bounded = True  # type: ignore[attr-defined]
    uvicorn.Config.__init__ = init  # type: ignore[method-assign]


_bound_shutdown()


def main() -> None:
    from vllm.entrypoints.cli.main import main as vllm_main

    vllm_main()


if __name__ == "__main__":
    main()
