"""Where CI's time goes. `scripts/test.sh` sets OCRKIT_CI_TIMES to a folder; then each
set-up step, each pytest phase (setup, call, teardown of every test) and each phase of a
compose profile's bring-up appends one JSON line to `times.jsonl` there, and
`bench/ci_time.py` turns them into the slowest items. Unset (a contributor's own pytest
run), nothing is written."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TIMES_ENV = "OCRKIT_CI_TIMES"


def times_file() -> Path | None:
    folder = os.environ.get(TIMES_ENV)
    return Path(folder) / "times.jsonl" if folder else None


def record(kind: str, name: str, seconds: float, **extra: str) -> None:
    path = times_file()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"kind": kind, "name": name, "seconds": round(seconds, 3), **extra})
    # One write of one short line in append mode: lines from concurrent writers stay whole.
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


@contextmanager
def timed(kind: str, name: str, **extra: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        record(kind, name, time.monotonic() - started, **extra)
