"""Putting a poem together from streamed Chat Completions chunks.

Servers differ in what they send: OpenAI puts token usage in a last chunk without choices when
asked (`stream_options.include_usage`), vLLM may repeat it on every chunk, llama.cpp and others
may send none at all. The last complete usage seen wins; none seen means unknown.

Servers also differ in whether they honour the token limit (llama-cpp-python ignores
`max_completion_tokens`), so the assembler counts what arrives: content chunks (one token each
on llama.cpp, vLLM and OpenAI; never more tokens than chunks) and characters, for the poet's own
caps.
"""

from __future__ import annotations

from openai.types.chat import ChatCompletionChunk

from genai_models.errors import ContentFlaggedError, ServiceUnavailableError
from genai_models.text.ending import end_at_last_line
from genai_models.text.failures import stream_broken
from genai_models.text.results import CUT_REASONS, Poem, Usage


class PoemAssembler:
    """Collects text, finish reason, model name and usage; `poem()` checks the result."""

    def __init__(self, *, requested_model: str) -> None:
        self._requested_model = requested_model
        self._pieces: list[str] = []
        self._refused = False
        self.finish_reason: str | None = None
        self.model: str | None = None
        self.usage: Usage | None = None
        self.content_chunks = 0
        self.chars = 0

    def add(self, chunk: ChatCompletionChunk) -> str:
        """Take in one chunk; return the text it adds ("" if none)."""
        if chunk.model and self.model is None:
            self.model = chunk.model
        usage = chunk.usage
        if usage is not None and None not in (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
        ):
            self.usage = Usage(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
        piece = ""
        for choice in chunk.choices or ():
            if choice.index != 0:  # we ask for one completion; ignore any others
                continue
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
            delta = choice.delta
            if delta is None:
                continue
            if delta.refusal:
                self._refused = True
            if delta.content:
                piece += delta.content
        if piece:
            self._pieces.append(piece)
            self.content_chunks += 1
            self.chars += len(piece)
        return piece

    def cut(self, reason: str, *, max_chars: int | None = None) -> None:
        """The poet stopped reading: record why ("length" or "deadline"), keeping `max_chars`."""
        self.finish_reason = reason
        if max_chars is not None and self.chars > max_chars:
            self._pieces = [self.text[:max_chars]]
            self.chars = max_chars

    @property
    def text(self) -> str:
        """The text received so far."""
        return "".join(self._pieces)

    def poem(self) -> Poem:
        """The finished poem, or the GenAIError that describes why there is none."""
        text = self.text.strip()
        if self.finish_reason == "content_filter" or (self._refused and not text):
            raise ContentFlaggedError(stage="output")
        if self.finish_reason is None:
            raise stream_broken()
        if self.finish_reason in CUT_REASONS:
            text = end_at_last_line(self.text)
        if not text:
            if self.finish_reason == "deadline":
                raise ServiceUnavailableError(code="timeout")
            raise ServiceUnavailableError(code="empty_reply")
        return Poem(
            text=text,
            finish_reason=self.finish_reason,
            model=self.model or self._requested_model,
            usage=self.usage,
        )
