"""Putting a poem together from streamed Chat Completions chunks.

Servers differ in what they send: OpenAI puts token usage in a last chunk without choices when
asked (`stream_options.include_usage`), vLLM may repeat it on every chunk, llama.cpp and others
may send none at all. The last complete usage seen wins; none seen means unknown.
"""

from __future__ import annotations

from openai.types.chat import ChatCompletionChunk

from genai_models.errors import ContentFlaggedError, ServiceUnavailableError
from genai_models.text.failures import stream_broken
from genai_models.text.results import Poem, Usage


class PoemAssembler:
    """Collects text, finish reason, model name and usage; `poem()` checks the result."""

    def __init__(self, *, requested_model: str) -> None:
        self._requested_model = requested_model
        self._pieces: list[str] = []
        self._refused = False
        self.finish_reason: str | None = None
        self.model: str | None = None
        self.usage: Usage | None = None

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
        return piece

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
        if not text:
            raise ServiceUnavailableError(code="empty_reply")
        return Poem(
            text=text,
            finish_reason=self.finish_reason,
            model=self.model or self._requested_model,
            usage=self.usage,
        )
