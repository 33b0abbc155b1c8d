"""Configuration of the poet, given to it by whoever reads the environment (bot.settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4.1-mini"  # small, current, and accepts temperature + max_tokens
DEFAULT_TEMPERATURE = 0.7  # the source article's value
# Enough for a sonnet (14 lines) in Spanish; the source article asked for 150, which cuts sonnets short.
DEFAULT_MAX_TOKENS = 400
DEFAULT_TIMEOUT_S = 30.0  # the openai client's own default is 600 s: far too long for a chat reply
DEFAULT_MAX_RETRIES = 2
# The longest one poem may take once it is sent (its wait in line not counted), retries and
# waits for a busy service included: a chat reply, not a job.
DEFAULT_DEADLINE_S = 20.0
# Whatever the server does with the token limit, the poet stops reading here: a poem, and an
# embed description (4,096 characters) still has room for the streaming cursor.
DEFAULT_MAX_CHARS = 3500
# Local servers (llama.cpp, Ollama, llama-cpp-python, LM Studio) serve few requests at once,
# and some end a running stream when another request arrives; OpenAI serves many.
DEFAULT_LOCAL_CONCURRENCY = 1
DEFAULT_OPENAI_CONCURRENCY = 8

TokenLimitParam = Literal["max_tokens", "max_completion_tokens"]
ModerationMode = Literal["auto", "on", "off"]
SystemPromptRole = Literal["system", "user"]


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
    # "user" folds the poem rules into the user message, for servers whose chat template drops
    # system messages (llama-cpp-python's `--chat_format gemma`; Gemma has no system role).
    system_prompt_role: SystemPromptRole = "system"
    deadline_s: float = DEFAULT_DEADLINE_S
    max_chars: int = DEFAULT_MAX_CHARS
    # Poems this endpoint serves at once (None: 1 for a local server, 8 for OpenAI). The poet
    # does not queue: callers keep within it (the bot's fair-use queue is sized by it).
    max_concurrency: int | None = None

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        key = "set" if self.api_key else "unset"
        return (
            f"PoetConfig(model={self.model!r}, base_url={self.base_url!r}, api_key=<{key}>, "
            f"temperature={self.temperature}, max_tokens={self.max_tokens}, "
            f"token_limit_param={self.token_limit_param!r}, timeout_s={self.timeout_s}, "
            f"max_retries={self.max_retries}, moderation={self.moderation!r}, "
            f"system_prompt_role={self.system_prompt_role!r}, deadline_s={self.deadline_s}, "
            f"max_chars={self.max_chars}, concurrency={self.concurrency})"
        )

    @property
    def is_openai(self) -> bool:
        """True when talking to OpenAI's own API (the only server with /v1/moderations)."""
        return self.base_url is None or self.base_url.rstrip("/").startswith("https://api.openai.com")

    @property
    def concurrency(self) -> int:
        """How many poems this endpoint serves at once: the capacity of the queue in front of it."""
        if self.max_concurrency is not None:
            return self.max_concurrency
        return DEFAULT_OPENAI_CONCURRENCY if self.is_openai else DEFAULT_LOCAL_CONCURRENCY

    @property
    def moderation_enabled(self) -> bool:
        if self.moderation == "auto":
            return self.is_openai
        return self.moderation == "on"
