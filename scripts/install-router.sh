#!/usr/bin/env bash
# vllm-router (the vLLM project's Rust router, from PyPI) in its own virtualenv, as the
# `scale` compose profile runs it in its own container. Usage: scripts/install-router.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venvs/router}
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/pip" install -q "vllm-router==0.1.17"
