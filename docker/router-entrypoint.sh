#!/bin/sh
# vllm-router with its backends from the environment: ROUTER_WORKER_URLS, space-separated
# (compose and Kubernetes pass one string; the router wants one argument per URL).
set -eu
if [ -z "${ROUTER_WORKER_URLS:-}" ]; then
    echo "router: set ROUTER_WORKER_URLS (ROUTER_BACKENDS in .env): the vLLM backends' URLs, space-separated" >&2
    exit 2
fi
# shellcheck disable=SC2086  # one argument per URL
exec vllm-router --worker-urls $ROUTER_WORKER_URLS "$@"
