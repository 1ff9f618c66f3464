# syntax=docker/dockerfile:1
# reelvault image: one image, three roles (api, cpu worker, gpu worker), chosen by the
# command (compose.yaml, deploy/k8s/). docs/deploy.md says what was tested how: these
# images were not built where this file was written (no container registry reachable);
# tests/unit/test_deploy_files.py checks the install steps against the README's and the
# Makefile's.
#
#   docker build -t reelvault:cpu .                          # CPU (default)
#   docker build -t reelvault:cuda --build-arg VARIANT=cuda . # CUDA (GPU workers)

# cpu: python:3.11-slim, the Python the test suite runs on; torch from the CPU index.
# cuda: NVIDIA's CUDA runtime image with Ubuntu 24.04's Python 3.12; torch from PyPI,
# whose Linux x86_64 wheels are the CUDA builds.
ARG VARIANT=cpu

FROM python:3.11-slim-bookworm AS base-cpu
ENV TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS base-cuda
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s /usr/bin/python3 /usr/local/bin/python
ENV TORCH_INDEX_URL=https://pypi.org/simple

FROM base-${VARIANT} AS base
# OpenCV (a mediapipe dependency) loads libGL and GLib. No ffmpeg: PyAV's wheels carry
# their own FFmpeg libraries, and reelvault never runs an ffmpeg binary.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Builder: a virtual environment with reelvault and its dependencies, nothing else.
FROM base AS builder
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# The README's install commands ("Deploying"), in the Makefile's order: torch first, so
# the diffusers extra does not pull another build of it. Non-editable, without the dev
# extra, with the scale extra (PostgreSQL, S3, Celery).
RUN pip install --upgrade pip
RUN pip install "torch==2.13.0" --index-url "$TORCH_INDEX_URL"
RUN pip install ".[scale,diffusers]"

# Runtime: the environment from the builder, a user without privileges, no compilers.
FROM base AS runtime
RUN groupadd --system --gid 10001 reelvault \
    && useradd --system --uid 10001 --gid reelvault --home-dir /home/reelvault \
        --create-home --shell /usr/sbin/nologin reelvault \
    && mkdir -p /data /models \
    && chown reelvault:reelvault /data /models \
    && chmod 0700 /data /models
COPY --from=builder /opt/venv /opt/venv
# /data and /models exist owned by the service's user: a named volume mounted there
# starts with that owner (Docker copies it), so the user can write to it.
# Caches that libraries write (matplotlib, torch) go to /tmp, so the root filesystem can
# be read-only (deploy/k8s mounts /tmp and /dev/shm as emptyDirs).
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/home/reelvault \
    XDG_CACHE_HOME=/tmp/cache \
    MPLCONFIGDIR=/tmp/matplotlib \
    REELVAULT_DATA_DIR=/data \
    REELVAULT_HOST=0.0.0.0 \
    REELVAULT_PORT=8000
VOLUME ["/data"]
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /home/reelvault
EXPOSE 8000
# For the api role; worker roles serve no HTTP (compose.yaml and the k8s manifests
# replace this check for them). /readyz answers any Host header.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
ENTRYPOINT ["reelvault"]
CMD ["serve", "--no-workers"]
