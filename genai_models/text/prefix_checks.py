"""Moderation of a poem while it streams: only text that passed a check is ever shown.

A poem's output check used to run once the whole poem had arrived, so a poem that failed it
was on screen, growing, until then. Here growing prefixes of the poem are checked as it
arrives, each ending at a line or sentence boundary (a check of half a word says little), one
check at a time so a slow moderation endpoint costs a lag in what is shown, not a pile of
requests. The stream shows only the longest prefix that has passed (`Checked`); the finished
poem still gets its full check before it is final.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# A line end, or a sentence end followed by a space: where a prefix is worth checking.
BOUNDARY = re.compile(r"\n|[.!?…;:](?=\s)")


@dataclass(frozen=True)
class Checked:
    """The first `chars` characters of the poem have passed the output check."""

    chars: int


def last_boundary(text: str) -> int:
    """Where the last line or sentence of `text` that is complete ends (0: none yet)."""
    end = 0
    for match in BOUNDARY.finditer(text):
        end = match.end()
    return end


class PrefixChecks:
    """Checks growing prefixes of one poem, at most one at a time, in the background."""

    def __init__(self, check: Callable[[str], Awaitable[None]]) -> None:
        self._check = check
        self._task: asyncio.Task[None] | None = None
        self._checking = 0  # how many characters the running check covers
        self.passed = 0
        self.checks = 0

    def offer(self, text: str) -> None:
        """Start checking `text` up to its last boundary, unless a check is running already."""
        end = last_boundary(text)
        if self._task is None and end > self.passed:
            self._checking = end
            self.checks += 1
            self._task = asyncio.create_task(self._check(text[:end]), name="poem prefix check")

    def collect(self) -> Checked | None:
        """What the last check that finished found: None while it runs (or none ran). A
        prefix that failed raises its error (ContentFlaggedError) here."""
        if self._task is None or not self._task.done():
            return None
        task, self._task = self._task, None
        task.result()
        self.passed = self._checking
        return Checked(self.passed)

    async def aclose(self) -> None:
        """Stop a running check: the full poem's own check decides now."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
