#!/usr/bin/env bash
# scripts/setup.sh plus the adapter and the test tools in .venv; ocrmypdf (the searchable
# PDF is compared with its layer), poppler (pdftotext, the
# old-way figures in bench/), qpdf (--check) and chromium (the review page's browser test).
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA_APT_PACKAGES="poppler-utils qpdf chromium ocrmypdf" bash scripts/setup.sh '.[dev]'
