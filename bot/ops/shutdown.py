"""Stopping cleanly: no new work, work in flight finishes within a grace period, and whoever
is still waiting after it is told in place that the bot restarted, before it logs out."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.interactions.embeds import notice_embed
from bot.interactions.errors import CREATED_MESSAGE
from bot.interactions.i18n import interaction_language, text

if TYPE_CHECKING:
    from bot.client import GenAIBot

log = logging.getLogger(__name__)


async def shut_down(bot: GenAIBot, *, grace_s: float) -> None:
    busy = len(bot.in_flight)
    log.info("shutting down: %d interactions in flight, up to %g s to finish them", busy, grace_s)
    left = await bot.in_flight.drain(grace_s)
    for interaction in left:
        await tell_interrupted(interaction)
    if busy:
        log.info("%d finished, %d interrupted and told so", busy - len(left), len(left))
    await bot.close()


async def tell_interrupted(interaction: discord.Interaction) -> None:
    """Replace the user's placeholder (or answer privately) with "restarted, try again"."""
    message = text("shutdown_interrupted", interaction_language(interaction))
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True)
        elif interaction.response.type in CREATED_MESSAGE:
            await interaction.edit_original_response(
                content=None, embed=notice_embed(message), attachments=[], view=None
            )
        else:
            await interaction.followup.send(message, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not tell user about the restart: %s", exc)
