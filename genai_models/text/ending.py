"""Where a poem that was cut short ends: at its last complete line, never mid-word.

A token limit stops a model mid-line ("…the sea and the moon, it'"), and a cut line published
as if finished reads as a typo. Asking the model to wrap up within budget would cost another
round trip and trust servers that ignore limits anyway, so the poet drops the unfinished line
instead; the reader is told the poem was cut (the bot's note, the CLI's stderr line).
"""

from __future__ import annotations

ELLIPSIS = "…"


def end_at_last_line(text: str) -> str:
    """`text` up to its last complete line; a poem with no complete line ends at its last
    complete word, marked with an ellipsis. Empty when nothing complete is left."""
    if text.endswith("\n"):
        return text.strip()
    complete, newline, _unfinished = text.rpartition("\n")
    if newline and complete.strip():
        return complete.strip()
    line = text.strip()
    if text[-1:].isspace():  # the last word was finished
        words = line
    else:
        words = line.rpartition(" ")[0]
    words = words.rstrip(" ,;:-—")
    return words + ELLIPSIS if words else ""
