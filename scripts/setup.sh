#!/usr/bin/env bash
# Sets up a fresh machine to run `ocrkit`: Debian packages (Tesseract with Russian, poppler,
# the font the sample document uses) and .venv with ocrkit installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
APT_PACKAGES="tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng tesseract-ocr-osd fonts-dejavu-core ${EXTRA_APT_PACKAGES:-}"

missing=""
for pkg in $APT_PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e "${1:-.}"
