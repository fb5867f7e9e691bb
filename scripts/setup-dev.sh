#!/usr/bin/env bash
# scripts/setup.sh plus the adapter and the test tools in .venv; poppler (pdftotext, the
# old-way figures in bench/), qpdf (--check) and chromium (the review page's browser test).
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA_APT_PACKAGES="poppler-utils qpdf chromium" bash scripts/setup.sh '.[dev]'
