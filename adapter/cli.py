"""`ocrkit-adapter`: serve the adapter with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from adapter.app import create_app
from adapter.settings import AdapterSettings
from ocrkit.model.profiles import load_profile


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="adapter: %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per upstream call is noise
    settings = AdapterSettings()
    port = settings.port or load_profile(settings.profile).adapter_port
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=port,
        timeout_graceful_shutdown=settings.graceful_shutdown_s,
        access_log=False,
        # Many legacy clients open a connection per page: keep accepting them.
        backlog=2048,
    )


if __name__ == "__main__":
    main()
