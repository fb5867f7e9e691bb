#!/usr/bin/env bash
# scripts/setup.sh plus the adapter and the test tools in .venv; poppler for the old-way
# figures in bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA_APT_PACKAGES="poppler-utils" bash scripts/setup.sh '.[dev]'
