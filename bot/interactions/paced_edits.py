"""One message kept up to date with the latest state wanted for it, at a pace Discord accepts.

Discord allows an interaction's message about 5 edits every 5 s. A poem's message changes far
more often than that (each streamed piece, a place in line that moves, a retry), so callers say
what the message should show now (`show`) and a single task applies only the latest state, never
two edits within `interval_s`. `finish` applies the last state at the same pace and waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import discord

# Edits the message with keyword fields (embed=…, view=…): Interaction.edit_original_response.
EditMessage = Callable[..., Awaitable[Any]]
# A state, as those fields, is rendered only when it is about to be shown: a poem's text as it
# is by then.
Render = Callable[[], dict[str, Any]]


class PacedEditor:
    """Edits one message through `edit(**fields)`, at most once per `interval_s`; latest wins."""

    def __init__(self, edit: EditMessage, *, interval_s: float) -> None:
        self._edit = edit
        self._interval_s = interval_s
        self._wanted: Render | None = None
        self._changed = asyncio.Event()
        self._finishing = False
        self._task: asyncio.Task[None] | None = None
        self._last_edit = float("-inf")

    def show(self, render: Render) -> None:
        """Make `render()` the message's next state (replacing any state not yet shown)."""
        if self._finishing:
            return
        self._want(render)

    async def finish(self, render: Render) -> None:
        """Show `render()` as the last state, keeping the pace, and return once it is shown.

        An edit that failed along the way (Discord refused it) is raised here.
        """
        self._want(render)
        self._finishing = True
        assert self._task is not None
        await self._task

    async def aclose(self) -> None:
        """Stop editing at once (the message is about to be replaced or removed)."""
        self._finishing = True
        if self._task is None:
            return
        self._task.cancel()
        # A failed edit no longer matters: the message's fate is the caller's now.
        with contextlib.suppress(asyncio.CancelledError, discord.HTTPException):
            await self._task

    def _want(self, render: Render) -> None:
        self._wanted = render
        self._changed.set()
        if self._task is None:
            self._task = asyncio.create_task(self._apply(), name="paced message edits")

    async def _apply(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._changed.wait()
            await asyncio.sleep(max(0.0, self._last_edit + self._interval_s - loop.time()))
            self._changed.clear()
            render, self._wanted = self._wanted, None
            if render is not None:
                await self._edit(**render())
                self._last_edit = loop.time()  # counted from when the edit was done, not sent
            if self._finishing and self._wanted is None:
                return
