"""The interactions being worked on, so a shutdown can finish them or tell their users why not.

Each interaction's handling runs in its own asyncio task (discord.py starts one per command or
component press); registering that task here lets `drain` wait for the work in flight, and
lets the bot tell whoever is left, in place, that it is restarting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import discord

from bot.interactions.embeds import notice_embed
from bot.interactions.errors import CREATED_MESSAGE
from bot.interactions.i18n import interaction_language, text
from bot.interactions.responses import DELIVERING, sends_settled

log = logging.getLogger(__name__)

ALREADY_ACKNOWLEDGED = 40060  # Discord's code for a second callback to one interaction


class InFlight:
    def __init__(self) -> None:
        self._jobs: dict[asyncio.Task, discord.Interaction] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.draining = False
        self.tracked = 0  # every interaction ever added: those refused while draining count too

    def __len__(self) -> int:
        return len(self._jobs)

    def add(
        self,
        task: asyncio.Task,
        interaction: discord.Interaction,
        on_done: Callable[[asyncio.Task], None] | None = None,
    ) -> None:
        """Track `task` until it ends; `on_done(task)` runs then (metrics, logs, slots)."""
        if task in self._jobs:
            return
        self._jobs[task] = interaction
        self.tracked += 1
        self._idle.clear()

        def finished(task: asyncio.Task) -> None:
            self._jobs.pop(task, None)
            if not self._jobs:
                self._idle.set()
            if on_done is not None:
                on_done(task)

        task.add_done_callback(finished)

    async def drain(self, grace_s: float) -> list[discord.Interaction]:
        """Wait up to `grace_s` for the work in flight; cancel what is left and return it."""
        self.draining = True
        try:
            async with asyncio.timeout(grace_s):
                await self._idle.wait()
            return []
        except TimeoutError:
            pass
        left = dict(self._jobs)
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        await sends_settled()  # a callback still travelling: its interaction is answered after all
        # Those whose reply was on its way when the grace ended got it: no "restarted" for them.
        return [interaction for interaction in left.values() if not interaction.extras.get(DELIVERING)]


async def tell_interrupted(interaction: discord.Interaction) -> None:
    """Replace the user's placeholder (or answer privately) with "restarted, try again"."""
    message = text("shutdown_interrupted", interaction_language(interaction))
    try:
        if not interaction.response.is_done():
            try:
                await interaction.response.send_message(message, ephemeral=True)
            except discord.HTTPException as exc:
                if exc.code != ALREADY_ACKNOWLEDGED:
                    raise
                # A callback of the handler's own reached Discord as its task was cancelled,
                # before discord.py knew: the interaction still takes a follow-up.
                await interaction.followup.send(message, ephemeral=True)
        elif interaction.response.type in CREATED_MESSAGE:
            await interaction.edit_original_response(
                content=None, embed=notice_embed(message), attachments=[], view=None
            )
        else:
            await interaction.followup.send(message, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not tell user about the restart: %s", exc)
