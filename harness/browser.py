"""A real headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for
tests that open what ocrkit writes as a person would: every request the page makes is
recorded, JavaScript runs in the page, screenshots are real renderings."""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websocket

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"


class Browser:
    """`with Browser() as b: b.open(url); b.evaluate("...")`."""

    def __init__(self, width: int = 1400, height: int = 1000) -> None:
        self.size = (width, height)
        self.requests: list[str] = []
        self._ids = itertools.count(1)

    def __enter__(self) -> Browser:
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-")
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--remote-debugging-port=0",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={self.size[0]},{self.size[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its helpers (renderer, crashpad) go with it on exit
        )
        port = self._port()
        page = self._first_tab(port)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.call("Network.enable")
        self.call("Page.enable")
        self.call("Runtime.enable")
        return self

    def __exit__(self, *exc: object) -> None:
        self.ws.close()
        # The whole group: a helper left writing into the profile made its removal fail.
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._profile.cleanup()

    def _port(self) -> int:
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                return int(found.group(1))
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError(f"{CHROMIUM} did not start its DevTools endpoint")

    def _first_tab(self, port: int) -> dict[str, Any]:
        """The tab Chromium opens with: listed by /json once it exists, which on a busy
        machine may be a while after DevTools starts listening (a guard, not a measure)."""
        deadline = time.monotonic() + 120
        while True:
            targets = httpx.get(f"http://127.0.0.1:{port}/json", timeout=60).json()
            pages = [t for t in targets if t["type"] == "page"]
            if pages:
                return pages[0]
            assert time.monotonic() < deadline, f"{CHROMIUM} opened no tab"
            time.sleep(0.1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Sends a command and returns its result, recording the events that come first."""
        message_id = next(self._ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def open(self, url: str) -> None:
        """Navigates to `url` and returns once that document (not the one before it, which
        is complete too) has loaded; its scripts have run by then."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 120  # a guard against a hang, not a measure
        loaded = f"document.URL === {json.dumps(url)} && document.readyState === 'complete'"
        while not self.evaluate(loaded):
            assert time.monotonic() < deadline, "the page did not finish loading"
            time.sleep(0.1)

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path


def main() -> None:
    """`python -m harness.browser PAGE.html SHOT.png`: a screenshot of a page as Chromium
    shows it (the picture of the review page in docs/client.md is made so)."""
    import sys

    page, shot = (Path(a).resolve() for a in sys.argv[1:3])
    with Browser(1400, 900) as browser:
        browser.open(page.as_uri())
        browser.screenshot(shot)
    print(f"{shot}: {shot.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
