#!/bin/sh
# The image's entrypoint: fills in the image's defaults, then runs the command as PID 1.
#
# A .env copied from .env.example has `KEY=` lines for the settings left empty. Docker's
# --env-file and Compose's env_file pass those as empty strings, which would blank the ENV
# defaults the image sets (the metrics port the HEALTHCHECK asks, the grace period that fits
# `docker stop`). Empty means "the default" for the bot's settings, so here it means the
# image's default: `${VAR:=value}` assigns when VAR is unset or empty, a value you set wins.
: "${GENAI_METRICS_PORT:=8080}"
: "${GENAI_METRICS_HOST:=0.0.0.0}"
: "${GENAI_SHUTDOWN_GRACE:=8}"
: "${GENAI_DATA_DIR:=/data}"
: "${GENAI_TRAINING_DIR:=/data/runs/vae}"
: "${GENAI_TRAINING_DATA:=/opt/genai-bot/datasets/mnist-digits-8k.npz}"
export GENAI_METRICS_PORT GENAI_METRICS_HOST GENAI_SHUTDOWN_GRACE GENAI_DATA_DIR GENAI_TRAINING_DIR \
    GENAI_TRAINING_DATA
# exec: the command replaces this shell, so it is PID 1 and receives `docker stop`'s SIGTERM.
exec "$@"
