#!/usr/bin/env bash
# Sets up a fresh machine to run `ocrkit`: Debian packages (Tesseract with Russian, poppler,
# the font the sample document uses) and .venv with ocrkit installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# Tesseract's models beyond Russian and English: a page whose words read as one of these
# languages (or whose script is Arabic, Hebrew, Han, Hangul, Greek) is read again with its
# own model (1-5 MB each).
LANGUAGE_PACKAGES="tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa tesseract-ocr-ita tesseract-ocr-por tesseract-ocr-nld tesseract-ocr-pol tesseract-ocr-ces tesseract-ocr-tur tesseract-ocr-ukr tesseract-ocr-bul tesseract-ocr-ell tesseract-ocr-ara tesseract-ocr-heb tesseract-ocr-chi-sim tesseract-ocr-kor"
APT_PACKAGES="tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng tesseract-ocr-osd $LANGUAGE_PACKAGES fonts-dejavu-core ${EXTRA_APT_PACKAGES:-}"

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
