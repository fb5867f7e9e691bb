#!/usr/bin/env bash
# scripts/setup.sh plus the adapter and the test tools in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh '.[dev]'
