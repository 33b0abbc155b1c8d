"""The Poet: streams short poems from OpenAI or any OpenAI-compatible chat server."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import openai

from genai_models.errors import AuthenticationError, GenAIError
from genai_models.text.assembly import PoemAssembler
from genai_models.text.config import OPENAI_BASE_URL, PoetConfig
from genai_models.text.failures import Phase, describe, loggable_url, to_genai_error
from genai_models.text.moderation import Moderator
from genai_models.text.prompts import build_messages
from genai_models.text.request import PoemRequest
from genai_models.text.results import Poem
from genai_models.text.stream import PoemStream

if TYPE_CHECKING:
    import httpx2

log = logging.getLogger(__name__)

# Local servers (llama.cpp, Ollama, vLLM, LM Studio) accept any key, but the openai client
# refuses to start without one.
KEYLESS_API_KEY = "no-key-needed"


class Poet:
    """Writes short poems with a chat model, streamed piece by piece.

    Usage::

        async with Poet(config=config) as poet:
            stream = poet.write(PoemRequest(topic="la luna"))
            async for piece in stream:
                print(piece, end="")
            poem = await stream.final()

    Every failure is a GenAIError with a user-safe message. `http_client`, if given, stays
    owned by the caller (it is not closed by `aclose`).
    """

    def __init__(
        self, *, config: PoetConfig, http_client: httpx2.AsyncClient | None = None
    ) -> None:
        if config.is_openai and not config.api_key:
            raise AuthenticationError(code="not_configured")
        self._config = config
        self._owns_http_client = http_client is None
        # The client is given everything explicitly: bot.settings is the one reader of the
        # environment, and the client's own default timeout (600 s) is far too long for chat.
        self._client = openai.AsyncOpenAI(
            api_key=config.api_key or KEYLESS_API_KEY,
            base_url=config.base_url or OPENAI_BASE_URL,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
            http_client=http_client,
        )
        self._moderator = (
            Moderator(self._client, secret=config.api_key) if config.moderation_enabled else None
        )

    @property
    def config(self) -> PoetConfig:
        return self._config

    @property
    def moderated(self) -> bool:
        """True when topics and poems go through the moderation endpoint."""
        return self._moderator is not None

    def write(self, request: PoemRequest) -> PoemStream:
        """Start a poem. Nothing is sent until the stream is iterated (or `final()` awaited)."""
        return PoemStream(self._generate(request))

    async def aclose(self) -> None:
        """Release connections. The poet cannot be used afterwards."""
        if self._owns_http_client:
            await self._client.close()

    async def __aenter__(self) -> Poet:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def model(self) -> str:
        """The chat model asked for: what a poem is labelled with until the server names its own."""
        return self._config.model

    def __repr__(self) -> str:
        return f"Poet({self._config!r})"  # PoetConfig's repr leaves the key out

    def chat_arguments(self, request: PoemRequest) -> dict[str, Any]:
        """The keyword arguments of `chat.completions.create` for one poem."""
        config = self._config
        return {
            "model": config.model,
            "messages": build_messages(request),
            "temperature": config.temperature,
            # max_tokens for llama.cpp, Ollama, vLLM and most OpenAI models; reasoning models
            # need max_completion_tokens instead (see PoetConfig.token_limit_param).
            config.token_limit_param: config.max_tokens,
            "stream": True,
            # Servers that ignore this send no usage: the poem's usage is then None.
            "stream_options": {"include_usage": True},
        }

    async def _generate(self, request: PoemRequest) -> AsyncGenerator[str | Poem, None]:
        """Text pieces as they arrive, then the Poem (the contract PoemStream relies on)."""
        started = time.perf_counter()
        if self._moderator is not None:
            await self._moderator.check(request.topic, stage="input")
        try:
            chunks = await self._client.chat.completions.create(**self.chat_arguments(request))
        except (openai.OpenAIError, ValueError) as exc:
            raise self._failure(exc, "request") from None

        assembler = PoemAssembler(requested_model=self._config.model)
        first_piece_at: float | None = None
        try:
            async for chunk in chunks:
                piece = assembler.add(chunk)
                if piece:
                    first_piece_at = first_piece_at or time.perf_counter()
                    yield piece
        except (openai.OpenAIError, ValueError) as exc:
            raise self._failure(exc, "stream") from None
        finally:
            await chunks.close()  # also when the reader abandons the poem half-way

        if assembler.finish_reason is None:
            # The server closed a stream it never said was complete: a truncated poem, which
            # an operator should see (some servers end a stream when another request arrives).
            log.warning(
                "chat stream from %s (model %s) ended after %d characters without a finish reason",
                loggable_url(self._config.base_url or OPENAI_BASE_URL),
                self._config.model,
                len(assembler.text),
            )
        poem = assembler.poem()
        if self._moderator is not None:
            await self._moderator.check(poem.text, stage="output")
        # Sizes and timings only: the topic and the poem are the user's, not the log's.
        log.info(
            "poem written: model=%s form=%s language=%s topic_chars=%d finish=%s "
            "completion_tokens=%s first_piece_s=%.2f total_s=%.2f",
            poem.model,
            request.form,
            request.language,
            len(request.topic),
            poem.finish_reason,
            poem.usage.completion_tokens if poem.usage else "unknown",
            (first_piece_at or time.perf_counter()) - started,
            time.perf_counter() - started,
        )
        yield poem

    def _failure(self, exc: BaseException, phase: Phase) -> GenAIError:
        error = to_genai_error(exc, phase=phase)
        log.warning(
            "chat request to %s (model %s) failed during the %s: %s",
            loggable_url(self._config.base_url or OPENAI_BASE_URL),
            self._config.model,
            phase,
            describe(exc, secret=self._config.api_key),
        )
        return error
