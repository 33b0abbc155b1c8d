# genai-bot: the Discord bot with CPU TensorFlow.
#   docker build -t genai-bot .
#   docker run --env-file .env -v genai-data:/data genai-bot      (or: docker compose up -d)
# Without DISCORD_TOKEN, `docker run --rm genai-bot genai-bot demo` writes its images to /data/out.
#
# The base is a build argument so a registry build can pin it by digest
# (--build-arg BASE_IMAGE=python:3.11-slim@sha256:…); the default is the 3.11 slim line the
# package supports (requires-python >=3.11,<3.13).
ARG BASE_IMAGE=python:3.11-slim

# --- dependencies: a virtual environment with everything pyproject.toml lists ----------------
FROM ${BASE_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv
# Only the dependency list, read from pyproject.toml: this layer (TensorFlow's download) is
# rebuilt when the dependencies change, not when the README or the code does.
COPY pyproject.toml /src/pyproject.toml
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && /opt/venv/bin/pip install -r /tmp/requirements.txt

# --- the package, as a wheel ------------------------------------------------------------------
FROM deps AS build
COPY README.md /src/
COPY bot /src/bot
COPY genai_models /src/genai_models
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheel /src

# --- runtime stage ------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    GENAI_TRAINING_DIR=/data/runs/vae \
    GENAI_DATA_DIR=/data \
    GENAI_METRICS_PORT=8080 \
    GENAI_SHUTDOWN_GRACE=8
# GENAI_SHUTDOWN_GRACE=8: `docker stop` waits 10 s before SIGKILL; the bot needs the rest to
# edit unfinished replies and log out. compose.yaml allows longer (stop_grace_period).
# /data belongs to the unprivileged user: `genai-bot demo` writes /data/out, training /data/runs,
# the database (GENAI_DATA_DIR) lives there too: mount a volume on /data to keep them.
RUN useradd --create-home --uid 10001 genai \
    && mkdir -p /data && chown genai:genai /data
# Two layers: the dependencies (unchanged until pyproject.toml's list changes) and the package
# installed from its wheel, mounted for the install only: the source, setuptools' build/ folder
# and the weights are in the image once.
COPY --from=deps /opt/venv /opt/venv
RUN --mount=type=bind,from=build,source=/wheel,target=/wheel \
    PIP_NO_CACHE_DIR=1 /opt/venv/bin/pip install --no-deps /wheel/*.whl
USER genai
WORKDIR /data

# /readyz is 200 only once the bot is logged in, its commands synced and the model loaded.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["genai-bot", "health"]
# The bot is PID 1 here and handles SIGTERM itself (Python installs the handler before anything
# slow), so `docker stop` finishes work in flight, edits what is left and exits 0.
STOPSIGNAL SIGTERM
CMD ["genai-bot", "run"]
