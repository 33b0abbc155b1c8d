"""Stopping cleanly: no new work, work in flight finishes within a grace period, and whoever
is still waiting after it is told in place that the bot restarted, before it logs out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.client import GenAIBot

log = logging.getLogger(__name__)


async def shut_down(
    bot: GenAIBot,
    *,
    grace_s: float,
    tell_interrupted: Callable[[discord.Interaction], Awaitable[None]],
) -> None:
    """`tell_interrupted` tells the user of an interaction the grace period did not cover."""
    busy, tracked_before = len(bot.in_flight), bot.in_flight.tracked
    log.info("shutting down: %d interactions in flight, up to %g s to finish them", busy, grace_s)
    left = await bot.in_flight.drain(grace_s)
    for interaction in left:
        await tell_interrupted(interaction)
    ended = busy + bot.in_flight.tracked - tracked_before  # with those that came during the grace
    if ended:
        log.info("%d finished, %d interrupted and told so", ended - len(left), len(left))
    await bot.close()
