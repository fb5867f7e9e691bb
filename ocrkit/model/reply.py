"""The one parser of chat-completion replies, beside the one request builder
(`ocrkit.model.request`). The client's engines and the adapter read replies through it, so a
200 whose body is not a usable completion fails the same clear way on every path."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ocrkit.errors import ReplyError


class _Message(BaseModel):
    content: str  # null means the model produced nothing we can use: an error, not ""


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


class _Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int | None = None


class _Completion(BaseModel):
    model: str | None = None
    choices: list[_Choice] = Field(min_length=1)
    usage: _Usage | None = None


class ChatReply(BaseModel):
    """What every path needs from a completion: the raw text and how it ended."""

    text: str
    finish_reason: str | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"

    def usage(self) -> dict[str, int] | None:
        if self.prompt_tokens is None or self.completion_tokens is None:
            return None
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


def parse_chat_reply(body: bytes | str | dict[str, Any]) -> ChatReply:
    """The first choice of a chat completion; ReplyError says what is wrong otherwise."""
    if not isinstance(body, dict):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ReplyError(f"the reply is not JSON: {_snippet(body)}") from None
    try:
        completion = _Completion.model_validate(body)
    except ValidationError as exc:
        raise ReplyError(f"the reply is not a chat completion ({_first_problem(exc)})") from None
    choice = completion.choices[0]
    usage = completion.usage
    return ChatReply(
        text=choice.message.content,
        finish_reason=choice.finish_reason,
        model=completion.model,
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
    )


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(map(str, err["loc"])) or "body"
    if err["type"] == "missing":
        return f"no {where}"
    if err["type"] == "too_short":
        return f"{where} is empty"
    if err.get("input") is None:
        return f"{where} is null"
    return f"{where}: {err['msg']}"


def _snippet(body: Any, limit: int = 120) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    text = " ".join(text.split())
    return repr(text[:limit] + ("..." if len(text) > limit else ""))
