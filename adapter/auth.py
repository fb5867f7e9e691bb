"""The adapter's own key: required everywhere but /health when ADAPTER_API_KEY is set."""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request


def require_key(request: Request) -> None:
    expected = request.app.state.settings.api_key
    if expected is None:
        return
    header = request.headers.get("authorization", "")
    given = (
        header[7:] if header.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
    )
    if not given or not secrets.compare_digest(
        given.encode(), expected.get_secret_value().encode()
    ):
        raise HTTPException(401, "missing or wrong API key", headers={"WWW-Authenticate": "Bearer"})
