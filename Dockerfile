# genai-bot: the Discord bot with CPU TensorFlow. Build: docker build -t genai-bot .
# Run:   docker run --env-file .env genai-bot            (the shipped VAE weights are inside)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_CPP_MIN_LOG_LEVEL=2

WORKDIR /app
# Dependencies first, so code changes do not reinstall TensorFlow.
COPY pyproject.toml README.md ./
COPY bot/__init__.py bot/
COPY genai_models/__init__.py genai_models/
RUN pip install --upgrade pip && pip install .

COPY bot bot
COPY genai_models genai_models
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 genai \
    && mkdir -p /app/runs /app/data && chown genai /app/runs /app/data
USER genai
# The database, training jobs and model registry (GENAI_DATA_DIR): mount a volume here to keep them.
ENV GENAI_DATA_DIR=/app/data

# `docker stop` sends SIGTERM; the bot closes its Discord session cleanly on it.
CMD ["genai-bot", "run"]
