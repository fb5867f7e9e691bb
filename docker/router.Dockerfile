# vllm-router, the vLLM project's Rust router, in front of several vLLM replicas.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir "vllm-router==0.1.17" \
    && useradd --create-home --uid 10001 router
ENV PATH=/opt/venv/bin:$PATH
# Executable in git (mode 755); COPY keeps the mode.
COPY docker/router-entrypoint.sh /usr/local/bin/router-entrypoint
USER 10001
EXPOSE 8020 29000
# Ready while any replica passes the router's health checks; its /health is 503 as soon as
# one replica is down, though the others still serve.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8020/readiness', timeout=4)"]
# vllm-router --worker-urls $ROUTER_WORKER_URLS "$@"
ENTRYPOINT ["router-entrypoint"]
