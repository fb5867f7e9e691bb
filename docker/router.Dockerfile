# vllm-router, the vLLM project's Rust router, in front of several vLLM replicas.
FROM python:3.11-slim
RUN python -m pip install --no-cache-dir "vllm-router==0.1.17" \
    && useradd --create-home --uid 10001 router
USER 10001
EXPOSE 8020 29000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8020/health', timeout=4)"]
ENTRYPOINT ["vllm-router"]
