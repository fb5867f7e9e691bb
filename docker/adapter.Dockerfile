# The adapter: the legacy /ocr API and the /v1 proxy in front of vLLM. Slim, non-root,
# only the adapter's dependencies (the layout stage's included, for /ocr region by region),
# in a virtualenv so any Debian-based Python image works.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

WORKDIR /opt/ocrkit
COPY requirements/adapter.lock ./requirements/adapter.lock
# --no-deps: the lock is complete, and its opencv-python-headless stands in for the
# opencv-python rapid-layout names (that one needs libGL, which a slim image lacks).
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-deps -r requirements/adapter.lock
COPY pyproject.toml README.md ./
COPY configs ./configs
COPY ocrkit ./ocrkit
COPY serving ./serving
COPY adapter ./adapter
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 ocrkit

ENV PATH=/opt/venv/bin:$PATH \
    ADAPTER_HOST=0.0.0.0 \
    ADAPTER_PORT=8001
USER 10001
EXPOSE 8001 8000
# 200 only when vLLM behind it is healthy and serves the model.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['ADAPTER_PORT'], timeout=4)"]
ENTRYPOINT ["ocrkit-adapter"]
