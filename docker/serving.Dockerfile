# vLLM with the ocrkit launcher: `serving run` picks the profile's arguments and the
# attention backend this GPU can run, then execs vLLM's OpenAI server.
#
# The unsuffixed vllm-openai tags are built on CUDA 13 and need a host driver >= 580; for
# older drivers build with --build-arg VLLM_CUDA_SUFFIX=-cu129 (CUDA 12.9).
ARG VLLM_VERSION=v0.33.0
ARG VLLM_CUDA_SUFFIX=
FROM vllm/vllm-openai:${VLLM_VERSION}${VLLM_CUDA_SUFFIX}

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
    && mkdir -p /cache/huggingface /cache/vllm /run/ocrkit \
    && chown -R ocrkit /cache /run/ocrkit

# Weights and compiled kernels survive a restart (mount volumes here).
ENV HF_HOME=/cache/huggingface \
    VLLM_CACHE_ROOT=/cache/vllm \
    SERVING_HOST=0.0.0.0 \
    SERVING_PORT=8010 \
    SERVING_PLAN_FILE=/run/ocrkit/plan.json \
    VLLM_NO_USAGE_STATS=1
VOLUME ["/cache/huggingface", "/cache/vllm"]
USER 10001
EXPOSE 8010
HEALTHCHECK --interval=30s --timeout=5s --start-period=30m --retries=5 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8010/health', timeout=5)"]
ENTRYPOINT ["serving", "run"]
