"""An ASGI app served by uvicorn on loopback from a thread of the test process: a real HTTP
server (real sockets, responses written chunk by chunk as the app sends them) for apps the
test drives from inside, such as an upstream that paces its events (`pacing_upstream`)."""

from __future__ import annotations

import threading
from types import TracebackType

import uvicorn

from harness.servers import free_port


class ThreadedServer:
    """`with ThreadedServer(app) as server:` serves `app` at `server.url` until the block
    ends."""

    def __init__(self, app: object) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        # Started or failed: a guard against a hang, not a measure of speed.
        for _ in range(600):
            if self._server.started or not self._thread.is_alive():
                break
            self._thread.join(0.1)
        if not self._server.started:
            raise RuntimeError(f"uvicorn did not start on port {self.port}")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(60)
