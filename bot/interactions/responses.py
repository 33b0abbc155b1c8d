"""Answering an interaction: at once when the work is quick, deferred when it is not.

Discord drops an interaction that gets no callback within 3 s. Deferring first always meets
that, but costs a second HTTP round trip and shows a "thinking…" placeholder even for a digit
grid that is ready almost at once. So the work starts at once; if it finishes within
`DEFER_AFTER_S` the result is the callback itself, otherwise the bot defers at that moment
(well inside the 3 s) and edits the placeholder when the result is ready. A failure before the
deferral is answered directly and ephemerally (see bot.interactions.errors), with nothing to clean up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import discord

# Discord's window is 3 s from when it sent the interaction; the event may reach us late and
# the callback needs time to travel back, so defer with most of the window still unused.
DEFER_AFTER_S = 1.0
# Set in an interaction's extras once its reply is on its way: the work is done, and a shutdown
# lets the sending finish instead of telling its user the bot restarted (bot.interactions.inflight).
DELIVERING = "delivering"
# How long a request to Discord already under way may finish after its task is cancelled.
SEND_GRACE_S = 5.0


@dataclass
class Reply:
    """One message's worth of embeds, files and components."""

    embeds: list[discord.Embed] = field(default_factory=list)
    files: list[discord.File] = field(default_factory=list)
    view: discord.ui.View | None = None

    def message_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"embeds": self.embeds}
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs


async def reply_with(
    interaction: discord.Interaction,
    work: Awaitable[Reply],
    *,
    update: bool = False,
    defer_after_s: float = DEFER_AFTER_S,
) -> None:
    """Answer `interaction` with the Reply that `work` produces.

    `update=True` (for buttons and selects) replaces the message holding the component
    instead of posting a new one.
    """
    task = asyncio.ensure_future(work)
    try:
        if interaction.response.is_done():  # deferred already (it waited in the fair-use queue)
            try:
                reply = await task
            except Exception:
                if update:  # the queue's notice stands where the user's message was
                    await _give_back(interaction)
                raise
            await deliver(interaction, interaction.edit_original_response(**reply_fields(reply)))
            return
        done, _ = await asyncio.wait({task}, timeout=defer_after_s)
        if done:
            reply = task.result()  # raises the work's error, answered before any deferral
            if update:
                await deliver(interaction, interaction.response.edit_message(**reply_fields(reply)))
            else:
                fields = reply.message_kwargs()
                await deliver(interaction, interaction.response.send_message(files=reply.files, **fields))
            return
        await uninterrupted(interaction.response.defer(thinking=not update))
        reply = await task
        await deliver(interaction, interaction.edit_original_response(**reply_fields(reply)))
    finally:
        if not task.done():  # our caller was cancelled, or the deferral failed
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _give_back(interaction: discord.Interaction) -> None:
    """The pressed message's embeds as they were before its press waited in the queue (its
    files and buttons were left alone); the failure itself is told privately afterwards."""
    if interaction.message is None:
        return
    with contextlib.suppress(discord.HTTPException):
        await uninterrupted(interaction.edit_original_response(embeds=interaction.message.embeds))


def reply_fields(reply: Reply) -> dict[str, Any]:
    return {"attachments": reply.files, **reply.message_kwargs()}


# Requests made through `uninterrupted` that have not answered yet.
_UNDER_WAY: set[asyncio.Future] = set()


async def sends_settled(timeout_s: float = SEND_GRACE_S) -> None:
    """Wait, at most `timeout_s`, for the requests to Discord still under way: until one
    answers, discord.py cannot say whether its interaction was answered (a slow callback
    outliving its task's grace, on a loaded machine)."""
    if _UNDER_WAY:
        await asyncio.wait(set(_UNDER_WAY), timeout=timeout_s)


async def deliver(interaction: discord.Interaction, send: Awaitable[Any]) -> Any:
    """Send the interaction's final answer (a result, a refusal, an error): a shutdown lets it
    arrive instead of answering the interaction again with "I had to restart"."""
    interaction.extras[DELIVERING] = True
    return await uninterrupted(send)


async def uninterrupted(request: Awaitable[Any]) -> Any:
    """Make a request to Discord that our task's cancellation (a shutdown's grace ending) does
    not cut off half-way: a callback cut off may have reached Discord without discord.py
    knowing, and the bot would then answer the interaction twice. The cancellation still
    ends the task, once the request is done (or SEND_GRACE_S has passed; `sends_settled`
    then waits for what is still under way)."""
    sending = asyncio.ensure_future(request)
    _UNDER_WAY.add(sending)
    sending.add_done_callback(_UNDER_WAY.discard)
    try:
        return await asyncio.shield(sending)
    except asyncio.CancelledError:
        await asyncio.wait({sending}, timeout=SEND_GRACE_S)
        raise
