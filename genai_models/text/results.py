"""What a finished poem comes back as."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts reported by the server for one poem."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True, slots=True)
class Poem:
    """A finished poem.

    `finish_reason` is the server's: "stop" for a complete poem, "length" when the token limit
    cut it short. `usage` is None when the server did not report token counts (llama.cpp and
    others ignore `stream_options.include_usage`): unknown, not zero.
    """

    text: str
    finish_reason: str
    model: str
    usage: Usage | None
