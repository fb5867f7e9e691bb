"""Is a model's reply usable: did it stop at max_tokens, or fall into a loop?"""

from __future__ import annotations

MAX_UNIT = 200  # longest repeated unit looked for, in characters
MIN_REPEATS = 8
MIN_TAIL = 64
# Temperature of each extra attempt at a page whose reply looped or was cut off: the number
# of quality retries an engine that samples can make is bounded by this list.
RETRY_TEMPERATURES = (0.2, 0.4, 0.6, 0.8)


def is_looping(text: str) -> bool:
    """True when the text ends in one unit repeated at least MIN_REPEATS times (the way a VLM
    degenerates into 'om om om ...' or the same table row forever). Units without a letter
    or digit ('-----', '| --- |' rules) are legitimate and ignored."""
    text = text.rstrip()
    for unit in range(1, MAX_UNIT + 1):
        window = max(MIN_TAIL, unit * MIN_REPEATS)
        if len(text) < window:
            return False
        tail = text[-window:]
        if tail[unit:] == tail[:-unit] and any(c.isalnum() for c in tail[-unit:]):
            return True
    return False


def needs_retry(text: str, finish_reason: str | None) -> str | None:
    """Why a reply should be asked for again, or None when it is fine."""
    if is_looping(text):
        return "looping"
    if finish_reason == "length":
        return "truncated"
    return None


def attempt_temperatures(quality_retries: int, samples: bool) -> tuple[float, ...]:
    """The temperature of every attempt at a page. An engine that does not sample (Tesseract,
    the greedy-only legacy API) would give the same reply again: it gets one attempt."""
    if not samples:
        return (0.0,)
    return (0.0, *RETRY_TEMPERATURES[:quality_retries])
