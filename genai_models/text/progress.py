"""What a poem is doing before its first words arrive, for whoever shows it to the user.

`Poet.write(request, on_progress=...)` calls the callback with these, synchronously and quickly
(it must not block): the poem's request going out, a busy service retried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Started:
    """The poem's request is being sent: its topic has passed moderation (when it is on)."""


@dataclass(frozen=True, slots=True)
class Retrying:
    """The service was busy or failing; the request is sent again after `wait_s` seconds."""

    attempt: int  # 1 for the first retry
    wait_s: float


Progress = Started | Retrying
ProgressListener = Callable[[Progress], None]
