"""Configuration of the poet, given to it by whoever reads the environment (bot.settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4.1-mini"  # small, current, and accepts temperature + max_tokens
DEFAULT_TEMPERATURE = 0.7  # the seed article's value
# Enough for a sonnet (14 lines) in Spanish; the seed asked for 150, which cuts sonnets short.
DEFAULT_MAX_TOKENS = 400
DEFAULT_TIMEOUT_S = 30.0  # the openai client's own default is 600 s: far too long for a chat reply
DEFAULT_MAX_RETRIES = 2

TokenLimitParam = Literal["max_tokens", "max_completion_tokens"]
ModerationMode = Literal["auto", "on", "off"]


@dataclass(frozen=True, kw_only=True)
class PoetConfig:
    """Everything the poet needs to reach a chat model. `api_key` is never logged or repr'd."""

    api_key: str | None = None
    base_url: str | None = None  # None means OpenAI's own API
    model: str = DEFAULT_MODEL
    temperature: float = DEFAULT_TEMPERATURE
    max_tokens: int = DEFAULT_MAX_TOKENS
    # `max_tokens` is what llama.cpp, Ollama, vLLM and OpenAI's non-reasoning models all honour;
    # OpenAI's reasoning models (o-series, gpt-5) need `max_completion_tokens`.
    token_limit_param: TokenLimitParam = "max_tokens"
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    moderation: ModerationMode = "auto"

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        key = "set" if self.api_key else "unset"
        return (
            f"PoetConfig(model={self.model!r}, base_url={self.base_url!r}, api_key=<{key}>, "
            f"temperature={self.temperature}, max_tokens={self.max_tokens}, "
            f"token_limit_param={self.token_limit_param!r}, timeout_s={self.timeout_s}, "
            f"max_retries={self.max_retries}, moderation={self.moderation!r})"
        )

    @property
    def is_openai(self) -> bool:
        """True when talking to OpenAI's own API (the only server with /v1/moderations)."""
        return self.base_url is None or self.base_url.rstrip("/").startswith("https://api.openai.com")

    @property
    def moderation_enabled(self) -> bool:
        if self.moderation == "auto":
            return self.is_openai
        return self.moderation == "on"
