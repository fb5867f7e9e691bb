#!/usr/bin/env bash
# scripts/setup.sh plus the adapter, the layout stage and the test tools in .venv; ocrmypdf
# (the searchable PDF is compared with its layer), poppler (pdftotext, the old-way figures
# in bench/), qpdf (--check), chromium (the review page's browser test), libgl1 and
# libglib2.0-0 (OpenCV's wheel, under the layout stage).
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA_APT_PACKAGES="poppler-utils qpdf chromium ocrmypdf libgl1 libglib2.0-0" bash scripts/setup.sh '.[dev]'
