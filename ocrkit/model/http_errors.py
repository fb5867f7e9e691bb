"""The human-readable reason in an HTTP error reply, whichever server sent it."""

from __future__ import annotations

import httpx


def error_detail(response: httpx.Response, limit: int = 500) -> str:
    """FastAPI's `{"detail": ...}`, OpenAI's and vLLM's `{"error": {"message": ...}}`, or the
    text itself, cut to `limit` characters; the reason phrase for an empty body."""
    if not response.content.strip():
        return response.reason_phrase
    try:
        body = response.json()
    except ValueError:
        return response.text[:limit]
    if isinstance(body, dict):
        error = body.get("detail") or body.get("error") or body
        if isinstance(error, dict):
            error = error.get("message", error)
        return str(error)[:limit]
    return str(body)[:limit]
