"""The poet: short poems from OpenAI or any OpenAI-compatible chat server, streamed.

    from genai_models.text import Poet, PoemRequest

    async with Poet(config=PoetConfig(...)) as poet:
        stream = poet.write(PoemRequest(topic="la luna", language="es", form="haiku"))
        async for piece in stream:      # text as it arrives
            ...
        poem = await stream.final()     # Poem(text, finish_reason, model, usage); poem.cut

At most `config.concurrency` poems stream from one endpoint at once; the rest wait in line
(`write(request, on_progress=...)` hears their place). Each poem is bounded by the poet itself,
whatever the server does: `deadline_s` overall (retries included), `max_tokens` content chunks
and `max_chars` characters; a poem cut short ends at its last complete line.

Failures are GenAIError subclasses (genai_models.errors) with user-safe messages.
No Discord here: the bot passes a language from `language_for_locale(interaction.locale)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genai_models.text.config import PoetConfig
from genai_models.text.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    language_for_locale,
)
from genai_models.text.progress import Progress, Retrying, Started
from genai_models.text.prompts import DEFAULT_FORM, FORMS
from genai_models.text.request import MAX_TOPIC_CHARS, PoemRequest
from genai_models.text.results import Poem, Usage
from genai_models.text.stream import PoemStream
from genai_models.text.together import (
    MAX_LINE_CHARS,
    MAX_LINES,
    NextLineRequest,
    clean_line,
    next_line_of,
)

if TYPE_CHECKING:
    from genai_models.text.poet import Poet

__all__ = [
    "DEFAULT_FORM",
    "DEFAULT_LANGUAGE",
    "FORMS",
    "LANGUAGE_NAMES",
    "MAX_LINES",
    "MAX_LINE_CHARS",
    "MAX_TOPIC_CHARS",
    "NextLineRequest",
    "Poem",
    "PoemRequest",
    "PoemStream",
    "Poet",
    "PoetConfig",
    "Progress",
    "Retrying",
    "Started",
    "Usage",
    "clean_line",
    "language_for_locale",
    "next_line_of",
]


def __getattr__(name: str) -> Any:
    # Poet pulls in the openai package (about half a second); loading it on first use keeps
    # `genai-bot --help` and code that only needs FORMS or PoemRequest fast.
    if name == "Poet":
        from genai_models.text.poet import Poet

        return Poet
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
