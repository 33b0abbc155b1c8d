"""The Poet: streams short poems from OpenAI or any OpenAI-compatible chat server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import openai

from genai_models.errors import (
    AuthenticationError,
    ContentFlaggedError,
    GenAIError,
    ServiceError,
    ServiceUnavailableError,
)
from genai_models.text.assembly import PoemAssembler
from genai_models.text.config import OPENAI_BASE_URL, PoetConfig
from genai_models.text.failures import (
    Phase,
    describe,
    loggable_url,
    operator_hint,
    to_genai_error,
)
from genai_models.text.moderation import Moderator, Stage
from genai_models.text.prefix_checks import Checked, PrefixChecks
from genai_models.text.progress import Progress, ProgressListener, Retrying, Started
from genai_models.text.prompts import build_messages, quotes_the_rules
from genai_models.text.request import PoemRequest
from genai_models.text.results import Poem
from genai_models.text.retries import Deadline, retry_delay
from genai_models.text.stream import PoemStream
from genai_models.text.together import NextLineRequest, build_line_messages, quotes_the_line_rules

if TYPE_CHECKING:
    import httpx2

log = logging.getLogger(__name__)

# Local servers (llama.cpp, Ollama, vLLM, LM Studio) accept any key, but the openai client
# refuses to start without one.
KEYLESS_API_KEY = "no-key-needed"
# With moderation on, reading a poem stops this long before its deadline, for the poem's check.
OUTPUT_CHECK_RESERVE_S = 2.0
# How much of the latest text is searched for quoted rules as each piece arrives.
RULES_CHECK_CHARS = 200
# Set (true) on the log record of a failed poem, whose error carries the same operator hint:
# a front end that prints the hint itself may filter the record out.
FAILURE_LOGGED = "genai_poem_failure"


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

    The poet sends every poem it is asked for at once: whoever asks for several at a time keeps
    them within `config.concurrency`, the number the endpoint serves at once (the bot's fair-use
    queue does, bot/fair_use/; `genai-bot poem` writes one).
    """

    def __init__(self, *, config: PoetConfig, http_client: httpx2.AsyncClient | None = None) -> None:
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
        # Chat requests are retried by the poet itself, within each poem's deadline (retries.py);
        # moderation keeps the client's own retries. Both share one connection pool.
        self._chat = self._client.with_options(max_retries=0)
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

    async def check_input(self, text: str) -> None:
        """Moderate a text users will have written into poems (a server's style note), as a
        topic is: ContentFlaggedError when flagged; nothing to do when moderation is off."""
        if self._moderator is not None:
            await self._check(text, "input", asyncio.get_running_loop().time() + self._config.deadline_s)

    def write(self, request: PoemRequest, *, on_progress: ProgressListener | None = None) -> PoemStream:
        """Start a poem. Nothing is sent until the stream is iterated (or `final()` awaited).

        `on_progress` hears of the wait before the first piece: the request going out (Started),
        a busy service retried (Retrying).
        """
        return PoemStream(self._generate(request, on_progress or _ignore_progress), moderated=self.moderated)

    def write_line(
        self, request: NextLineRequest, *, on_progress: ProgressListener | None = None
    ) -> PoemStream:
        """The next line of a poem written together (genai_models.text.together), as a stream
        like a poem's: the same deadline, caps, retries and output moderation. The lines sent
        are not checked again: each was checked (`check_input`) as it joined the poem.
        """
        return PoemStream(self._generate(request, on_progress or _ignore_progress), moderated=self.moderated)

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

    def chat_arguments(self, request: PoemRequest | NextLineRequest) -> dict[str, Any]:
        """The keyword arguments of `chat.completions.create` for one poem (or next line)."""
        config = self._config
        build = build_line_messages if isinstance(request, NextLineRequest) else build_messages
        return {
            "model": config.model,
            "messages": build(request, rules_in=config.system_prompt_role),
            "temperature": config.temperature,
            # max_tokens for llama.cpp, Ollama, vLLM and most OpenAI models; reasoning models
            # need max_completion_tokens instead (see PoetConfig.token_limit_param).
            config.token_limit_param: config.max_tokens,
            "stream": True,
            # Servers that ignore this send no usage: the poem's usage is then None.
            "stream_options": {"include_usage": True},
        }

    async def _generate(
        self, request: PoemRequest | NextLineRequest, tell: ProgressListener
    ) -> AsyncGenerator[str | Checked | Poem, None]:
        """Text pieces as they arrive (with Checked marks when moderated), then the Poem (the
        contract PoemStream relies on)."""
        # Closed here, not whenever it is collected: a poem abandoned half-way must release its
        # HTTP stream before its caller lets the next poem take its place at the endpoint.
        async with contextlib.aclosing(self._write(request, tell)) as items:
            async for item in items:
                yield item

    async def _write(
        self, request: PoemRequest | NextLineRequest, tell: ProgressListener
    ) -> AsyncGenerator[str | Checked | Poem, None]:
        config = self._config
        started = time.perf_counter()
        # The deadline counts from the request going out: a caller's queue shows the user their
        # place, and each poem ahead is itself bounded by its deadline.
        deadline = Deadline(config.deadline_s)
        # With moderation on, the finished poem is checked too: stop reading early enough.
        reserve_s = min(OUTPUT_CHECK_RESERVE_S, config.deadline_s / 4) if self._moderator else 0.0
        # A next line's lines were each checked as they joined the poem (write_line).
        if self._moderator is not None and isinstance(request, PoemRequest):
            await self._check(request.topic, "input", deadline.at)
        # Only now: a listener may show the topic publicly ("writing a poem about …").
        tell(Started())
        chunks = await self._open(request, deadline, tell)

        assembler = PoemAssembler(requested_model=config.model)
        first_piece_at: float | None = None
        # Moderated: what is shown grows only as far as checked prefixes go.
        prefixes = PrefixChecks(self._check_prefix(deadline)) if self._moderator else None
        try:
            pieces = self._read(chunks, assembler, deadline.at - reserve_s)
            async with contextlib.aclosing(pieces):
                async for piece in pieces:
                    first_piece_at = first_piece_at or time.perf_counter()
                    if prefixes is not None:
                        checked = prefixes.collect()
                        if checked is not None:
                            yield checked
                        prefixes.offer(assembler.text)
                    yield piece
        except (openai.OpenAIError, ValueError) as exc:
            raise self._failure(exc, "stream") from None
        finally:
            await chunks.close()  # also when the reader abandons the poem half-way
            if prefixes is not None:
                await prefixes.aclose()

        if assembler.finish_reason is None:
            # The server closed a stream it never said was complete: a truncated poem, which
            # an operator should see (some servers end a stream when another request arrives).
            log.warning(
                "chat stream from %s (model %s) ended after %d characters without a finish reason",
                loggable_url(config.base_url or OPENAI_BASE_URL),
                config.model,
                len(assembler.text),
            )
        poem = assembler.poem()
        if self._moderator is not None:
            loop = asyncio.get_running_loop()
            await self._check(poem.text, "output", max(deadline.at, loop.time() + reserve_s))
        # Sizes and timings only: the topic and the poem are the user's, not the log's.
        log.info(
            "poem written: model=%s form=%s language=%s topic_chars=%d finish=%s chars=%d "
            "completion_tokens=%s first_piece_s=%.2f total_s=%.2f",
            poem.model,
            request.form,
            request.language,
            len(request.topic),
            poem.finish_reason,
            len(poem.text),
            poem.usage.completion_tokens if poem.usage else "unknown",
            (first_piece_at or time.perf_counter()) - started,
            time.perf_counter() - started,
        )
        yield poem

    async def _open(
        self, request: PoemRequest | NextLineRequest, deadline: Deadline, tell: ProgressListener
    ) -> openai.AsyncStream:
        """The chat stream, retried within the deadline; the last failure if none comes."""
        arguments = self.chat_arguments(request)
        retries = 0
        while True:
            try:
                async with asyncio.timeout_at(deadline.at):
                    return await self._chat.chat.completions.create(
                        **arguments, timeout=min(self._config.timeout_s, deadline.remaining())
                    )
            except TimeoutError:  # the deadline itself, whatever the per-read timeout
                raise self._out_of_time("the request", retries) from None
            except (openai.OpenAIError, ValueError) as exc:
                delay = retry_delay(exc, retries) if retries < self._config.max_retries else None
                if delay is None or not deadline.allows(delay):
                    # Also a Retry-After beyond what the deadline leaves: answered at once,
                    # and the error tells the user how long to wait.
                    raise self._failure(exc, "request", retries=retries) from None
                retries += 1
                log.info(
                    "chat request to %s failed (%s); retry %d of %d in %.1f s",
                    loggable_url(self._config.base_url or OPENAI_BASE_URL),
                    type(exc).__name__,
                    retries,
                    self._config.max_retries,
                    delay,
                )
                tell(Retrying(retries, delay))
                await asyncio.sleep(delay)

    async def _read(
        self, chunks: openai.AsyncStream, assembler: PoemAssembler, stop_at: float
    ) -> AsyncGenerator[str, None]:
        """Text pieces, until the stream ends or the poet's own limits end it.

        Whatever the server does with the token limit (llama-cpp-python ignores
        max_completion_tokens), reading stops past `max_tokens` content chunks, past
        `max_chars` characters, or at `stop_at`: the poem is then cut ("length"/"deadline").
        """
        config = self._config
        iterator = chunks.__aiter__()
        while True:
            try:
                async with asyncio.timeout_at(stop_at):
                    chunk = await iterator.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                self._note_cut(assembler, "deadline")
                return
            piece = assembler.add(chunk)
            latest = assembler.text[-RULES_CHECK_CHARS:]
            if piece and (quotes_the_rules(latest) or quotes_the_line_rules(latest)):
                # Stopped before the rules are all on screen; shown like a flagged poem.
                log.warning(
                    "the model quoted the poem rules after %d characters (system prompt in the %s "
                    "message); the poem is withheld",
                    assembler.chars,
                    config.system_prompt_role,
                )
                raise ContentFlaggedError(stage="output", categories=("quoted instructions",))
            if piece:
                yield piece
            if assembler.finish_reason is None and (
                assembler.content_chunks > config.max_tokens or assembler.chars > config.max_chars
            ):
                self._note_cut(assembler, "length")
                return

    def _note_cut(self, assembler: PoemAssembler, reason: str) -> None:
        assembler.cut(reason, max_chars=self._config.max_chars)
        log.info(
            "poem cut by the poet (%s) after %d chunks and %d characters from %s",
            reason,
            assembler.content_chunks,
            assembler.chars,
            loggable_url(self._config.base_url or OPENAI_BASE_URL),
        )

    def _check_prefix(self, deadline: Deadline) -> Callable[[str], Awaitable[None]]:
        async def check(prefix: str) -> None:
            await self._check(prefix, "output", deadline.at)

        return check

    async def _check(self, text: str, stage: Stage, until: float) -> None:
        """Moderate `text`, within the poem's deadline."""
        assert self._moderator is not None
        try:
            async with asyncio.timeout_at(until):
                await self._moderator.check(text, stage=stage)
        except TimeoutError:
            raise self._out_of_time(f"the {stage} check", 0) from None

    def _out_of_time(self, what: str, retries: int) -> GenAIError:
        url = loggable_url(self._config.base_url or OPENAI_BASE_URL)
        log.warning(
            "chat request to %s (model %s) ran out of its %g s deadline during %s (after %d retries)",
            url,
            self._config.model,
            self._config.deadline_s,
            what,
            retries,
            extra={FAILURE_LOGGED: True},  # a command line prints the hint below instead
        )
        error = ServiceUnavailableError(code="timeout")
        # The deadline bounds the whole poem, whatever OPENAI_TIMEOUT allows one request.
        deadline = self._config.deadline_s
        error.operator_hint = (
            f"{url.rstrip('/')} had not finished the poem within OPENAI_DEADLINE ({deadline:g} s, the "
            "limit for a whole poem, whatever OPENAI_TIMEOUT is): raise OPENAI_DEADLINE for a slow server"
        )
        return error

    def _failure(self, exc: BaseException, phase: Phase, *, retries: int = 0) -> GenAIError:
        config = self._config
        error = to_genai_error(exc, phase=phase, model=config.model)
        hint = operator_hint(exc, base_url=config.base_url or OPENAI_BASE_URL, model=config.model)
        if hint is not None and isinstance(error, ServiceError):
            error.operator_hint = hint
        # FAILURE_LOGGED: a command line that prints the hint itself leaves this line out.
        log.warning(
            "chat request to %s (model %s) failed during the %s (after %d retries): %s%s",
            loggable_url(config.base_url or OPENAI_BASE_URL),
            config.model,
            phase,
            retries,
            f"{hint}; " if hint else "",
            describe(exc, secret=config.api_key),
            extra={FAILURE_LOGGED: True},
        )
        return error


def _ignore_progress(progress: Progress) -> None:
    pass
