"""Where CI's time went: the 20 slowest items of the last `bash scripts/test.sh` run (set-up
steps, pytest sessions, tests with their fixtures' set-up and teardown, each compose
profile's phases and its slowest checks), read from the record that run wrote (harness/timings.py).

    bash scripts/test.sh                  # or .ci/run; writes .cache/ci-time/times.jsonl
    .venv/bin/python -m bench.ci_time     # prints the table, writes bench/results/ci_time.json

`--times FILE` reads another record (a CI run's), `--top N` prints more rows."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import write_result
from harness.servers import REPO

DEFAULT_TIMES = REPO / ".cache" / "ci-time" / "times.jsonl"


def load(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _wall(phases: dict[str, float]) -> float:
    return sum(v for k, v in phases.items() if k != "up-own")


def summarise(records: list[dict[str, Any]], top: int = 20) -> dict[str, Any]:
    steps = [r for r in records if r["kind"] == "step"]
    tests: dict[str, float] = defaultdict(float)
    for r in records:
        if r["kind"] == "test":
            tests[r["name"]] += r["seconds"]  # setup + call + teardown
    profiles: dict[str, dict[str, float]] = defaultdict(dict)
    for r in records:
        if r["kind"] == "compose":
            profile, phase = r["name"].split(":", 1)
            profiles[profile][phase] = profiles[profile].get(phase, 0.0) + r["seconds"]
    checks = sorted(
        ((r["name"], r["seconds"]) for r in records if r["kind"] == "check"), key=lambda c: -c[1]
    )
    items = [{"item": f"step {s['name']}", "seconds": s["seconds"]} for s in steps]
    items += [{"item": name, "seconds": secs} for name, secs in tests.items()]
    items.sort(key=lambda i: -i["seconds"])
    total = next((s["seconds"] for s in steps if s["name"] == "total"), None)
    return {
        "total_seconds": total,
        "steps": {s["name"]: s["seconds"] for s in steps},
        "tests": len(tests),
        "test_seconds": round(sum(tests.values()), 1),
        "slowest": [i for i in items if i["item"] != "step total"][:top],
        # A profile's wall time in the session; its own `up` (up-own) partly ran while the
        # profile before it was checked, and only up-wait of it was waited for.
        "compose_profiles": {
            name: {**phases, "total": round(_wall(phases), 1)}
            for name, phases in sorted(profiles.items(), key=lambda p: -_wall(p[1]))
        },
        # What a profile's checks phase spent, check by check (tests/test_compose_e2e.py).
        "compose_checks": dict(checks[:top]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=Path, default=DEFAULT_TIMES)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    if not args.times.exists():
        raise SystemExit(f"{args.times} is missing: run `bash scripts/test.sh` first")
    summary = summarise(load(args.times), args.top)
    total = summary["total_seconds"]
    print(f"CI time: {total / 60:.1f} min" if total else "CI time: (run not finished)")
    for name, secs in summary["steps"].items():
        print(f"  step {name:<28} {secs:8.1f} s")
    print(f"\n{len(summary['slowest'])} slowest items:")
    for item in summary["slowest"]:
        print(f"  {item['seconds']:8.1f} s  {item['item']}")
    if summary["compose_profiles"]:
        print("\ncompose profiles (s):")
        for name, phases in summary["compose_profiles"].items():
            parts = "  ".join(f"{k} {v:.0f}" for k, v in phases.items() if k != "total")
            print(f"  {name:<15} {phases['total']:7.1f}   {parts}")
    if summary["compose_checks"]:
        print("\nslowest compose checks (s):")
        for name, secs in summary["compose_checks"].items():
            print(f"  {secs:8.1f}  {name}")
    write_result("ci_time", summary)


if __name__ == "__main__":
    main()
