# genai-bot: the Discord bot with CPU TensorFlow. docs/container.md is the manual.
#   docker build -t genai-bot .
#   docker run -d --env-file .env -v genai-data:/data -p 127.0.0.1:8080:8080 genai-bot
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/out:/data/out" genai-bot genai-bot demo
#       (the offline demo, its images written into ./out on the host)
#
# /data (the working directory) holds everything the bot writes: its database, training runs,
# the demo's images. Mount a volume or a folder there to keep them. Port 8080 serves /healthz,
# /readyz and /metrics (Prometheus) on all the container's interfaces.
#
# The base is a build argument so a registry build can pin it by digest
# (--build-arg BASE_IMAGE=python:3.11-slim@sha256:…). requirements.lock (`make lock`) is
# resolved for this base: Linux x86_64, Python 3.11.
ARG BASE_IMAGE=python:3.11-slim

# --- dependencies: a virtual environment with exactly what requirements.lock pins -----------
FROM ${BASE_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv
# Only the lock file: this layer (TensorFlow's download) is rebuilt when the pins change, not
# when the README or the code does. --require-hashes: every file pip downloads must match the
# hash the lock recorded, so a rebuild installs the same bytes or fails.
COPY requirements.lock /src/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /src/requirements.lock

# --- the package, as a wheel ------------------------------------------------------------------
FROM deps AS build
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY genai_models /src/genai_models
# --no-build-isolation: setuptools and wheel come from the lock too, not a fresh download.
RUN /opt/venv/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheel /src \
    && cd /wheel && sha256sum *.whl > /wheel.sha256

# --- runtime stage ------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="genai-bot" \
      org.opencontainers.image.description="A Discord bot that brings generative AI (poems from OpenAI-compatible chat models, digits from a Keras VAE) into community servers." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="docs/container.md"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    GENAI_TRAINING_DIR=/data/runs/vae \
    GENAI_DATA_DIR=/data \
    GENAI_METRICS_HOST=0.0.0.0 \
    GENAI_METRICS_PORT=8080 \
    GENAI_SHUTDOWN_GRACE=8 \
    GENAI_TRAINING_DATA=/opt/genai-bot/datasets/mnist-digits-8k.npz
# GENAI_TRAINING_DATA: /train start trains on the 8,000 digits the shipped model was trained on,
# offline; for other digits, mount a file (an .npz or IDX folder) and point it there.
# GENAI_METRICS_HOST=0.0.0.0: inside its own network namespace the container's loopback is
# unreachable from outside; `-p 127.0.0.1:8080:8080` decides who on the host may scrape it.
# GENAI_SHUTDOWN_GRACE=8: `docker stop` waits 10 s before SIGKILL; the bot needs the rest to
# edit unfinished replies and log out. compose.yaml allows longer (stop_grace_period).
# /data belongs to the unprivileged user: `genai-bot demo` writes /data/out, training /data/runs,
# the database (GENAI_DATA_DIR) lives there too: mount a volume on /data to keep them. Sticky and
# writable by every uid, as /tmp is: `--user "$(id -u):$(id -g)"` (the demo into a host folder)
# and platforms that run images under an arbitrary uid need room for the signing certificate.
RUN useradd --create-home --uid 10001 genai \
    && mkdir -p /data && chown genai:genai /data && chmod 1777 /data
# Two layers: the dependencies (unchanged until the lock changes) and the package installed
# from its wheel, mounted for the install only: the source, setuptools' build/ folder and the
# weights are in the image once.
COPY --from=deps /opt/venv /opt/venv
# The wheel's hash first: Buildah (podman build) leaves a bind mount's content out of the RUN
# step's cache key, so without a COPY that changes with the wheel a rebuild would keep the old
# code. It also records which wheel the image holds.
COPY --from=build /wheel.sha256 /opt/venv/genai-bot-wheel.sha256
RUN --mount=type=bind,from=build,source=/wheel,target=/wheel \
    PIP_NO_CACHE_DIR=1 /opt/venv/bin/pip install --no-deps /wheel/*.whl
COPY --chmod=755 deploy/container/entrypoint.sh /usr/local/bin/genai-entrypoint
# With their README: its attribution goes wherever the digits go.
COPY datasets/mnist-digits-8k.npz datasets/README.md /opt/genai-bot/datasets/
USER genai
WORKDIR /data
EXPOSE 8080

ENTRYPOINT ["/usr/local/bin/genai-entrypoint"]
# /readyz is 200 only once the bot is logged in, its commands synced and the model loaded.
# Through the entrypoint, so an empty GENAI_METRICS_PORT from an env file means 8080 here too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/genai-entrypoint", "genai-bot", "health"]
# The bot is PID 1 here (the entrypoint execs it) and handles SIGTERM itself (Python installs
# the handler before anything slow), so `docker stop` finishes work in flight, edits what is
# left and exits 0.
STOPSIGNAL SIGTERM
CMD ["genai-bot", "run"]
