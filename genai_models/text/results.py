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

    `finish_reason` is "stop" for a complete poem, "length" when a limit cut it short (the
    server's token limit, or the poet's own caps on tokens and characters), "deadline" when the
    poet stopped reading at its overall deadline. A cut poem's `text` ends at its last complete
    line (see `genai_models.text.ending`). `usage` is None when the server did not report token
    counts (llama.cpp and others ignore `stream_options.include_usage`): unknown, not zero.
    """

    text: str
    finish_reason: str
    model: str
    usage: Usage | None

    @property
    def cut(self) -> bool:
        """True when the poem was cut short rather than finished by the model."""
        return self.finish_reason in CUT_REASONS


CUT_REASONS = frozenset({"length", "deadline"})
