"""Does an OpenAI-compatible server answer at a URL? The `auto` engine's first question."""

from __future__ import annotations

import httpx

from ocrkit.engines.openai_api import v1_url


async def models_status(url: str) -> tuple[int | None, str | None]:
    """The status of GET {url}/v1/models, or None and why there was no answer."""
    try:
        # Nothing listening is refused at once; a server that took the connection is there,
        # and a busy one may take a while to list its models.
        async with httpx.AsyncClient(timeout=httpx.Timeout(30, connect=2)) as client:
            return (await client.get(v1_url(url) + "/models")).status_code, None
    except httpx.HTTPError as exc:
        return None, f"no server at {url} ({type(exc).__name__})"
