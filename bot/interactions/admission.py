"""What every interaction passes before its handler runs, and what is recorded when it ends.

In order: a bot that is shutting down refuses new work; the allow and deny lists; a slash
command's option values against its published definition; then, for the commands that cost
CPU or text-service time, the fair-use gate (which may queue the job). Each interaction's task
is tracked until it ends, when its metrics and one structured log line are written and its
fair-use slot is freed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.exceptions import FairUseError, OptionValueError
from bot.fair_use.access import kept_out_here
from bot.fair_use.limits import COMMAND_RESOURCES
from bot.fair_use.scheduler import Ticket
from bot.interactions.embeds import progress_embed
from bot.interactions.errors import (
    OUTCOME,
    SERVICE_ERROR,
    describe,
    elapsed_ms,
    mark_started,
    report_error,
    send_ephemeral,
)
from bot.interactions.i18n import interaction_language, text
from bot.interactions.options import check_options
from bot.interactions.responses import uninterrupted
from bot.interactions.server_context import load as load_server_context
from bot.interactions.server_context import manages_server, role_ids
from bot.ops.audit import AUDITED
from bot.ops.logs import user_hash

if TYPE_CHECKING:
    from bot.client import GenAIBot

log = logging.getLogger(__name__)

COMMAND = "genai_command"  # Interaction.extras: the command's name for metrics and logs
RELEASE = "genai_release"  # Interaction.extras: frees the job's fair-use slot
QUEUED_MS = "genai_queued_ms"
FAIR_USE_AS = "fair_use_as"  # a command's extras: the fair-use command it counts as
# Discord allows about 5 edits per 5 s on one message; every waiting job's position changes each
# time a slot frees, so a long queue would flood Discord (and the bot's loop) with edits.
POSITION_EDIT_INTERVAL_S = 2.0
# What no allow or deny list keeps from anyone, the operator's or a server's: what the bot keeps
# and whom to ask (/about), and a member's own preferences, deleting them included. They make
# nothing and cost nothing, and a privacy request must be answerable wherever the user is.
ALWAYS_ANSWERED = frozenset({"about", "preferences"})


class GenAICommandTree(app_commands.CommandTree):
    """A command tree that stamps each interaction's arrival, admits it, and reports every
    error alike."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        command = interaction.command
        name = command.qualified_name if command is not None else describe(interaction).lstrip("/")
        # A context menu counts as the command it stands for (FAIR_USE_AS in its extras).
        gated = command.extras.get(FAIR_USE_AS, name) if command is not None else None
        return await admit(interaction, command=name, gated=gated)

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        await report_error(interaction, error)


async def admit(
    interaction: discord.Interaction, *, command: str, gated: str | None = None, update: bool = False
) -> bool:
    """True when the handler may run; otherwise the user has been answered already.

    `command` names the interaction in metrics and logs; `gated` is the fair-use command whose
    limits apply (None: none); `update` says the result replaces the message holding a button.
    """
    bot: GenAIBot = interaction.client  # type: ignore[assignment]
    mark_started(interaction)
    interaction.extras.setdefault(COMMAND, command)
    task = asyncio.current_task()
    if task is not None:
        bot.in_flight.add(task, interaction, on_done=lambda task: _finished(bot, interaction, task))
    if bot.in_flight.draining:
        interaction.extras[OUTCOME] = "shutting_down"
        await send_ephemeral(interaction, text("shutting_down", interaction_language(interaction)))
        return False
    limits = bot.fair_use.limits
    rules = await load_server_context(interaction)
    try:
        listed = command.split(" ", 1)[0] not in ALWAYS_ANSWERED
        owner = interaction.user.id in limits.owner_ids
        if listed and not owner and (why := kept_out_here(interaction, limits.access)) is not None:
            raise FairUseError(code=why)
        # A server's own lists never lock its admins out of the command that changes them.
        settings_by_admin = command.startswith("settings") and manages_server(interaction)
        if listed and not settings_by_admin:
            if (why := rules.keeps_out(interaction.channel_id, role_ids(interaction))) is not None:
                raise FairUseError(code=why)
        if interaction.type is discord.InteractionType.application_command:
            check_options(interaction)
        if gated is not None and gated in COMMAND_RESOURCES:
            try:
                admission = await bot.fair_use.take_turn(
                    interaction,
                    gated,
                    wait_for_turn=lambda ticket: _wait_in_queue(interaction, ticket, gated, update=update),
                    cooldown_s=rules.cooldown_s(gated),
                    jobs_per_user=rules.jobs_per_user,
                    cooldown_key=rules.cooldown_key(gated),
                )
            except FairUseError as refusal:  # cooldown, too many jobs, queue full
                bot.metrics.refusals.labels(command=gated, reason=refusal.code).inc()
                raise
            interaction.extras[RELEASE] = admission.release
            interaction.extras[AUDITED] = gated
            interaction.extras[QUEUED_MS] = round(admission.waited_s * 1000)
    except (FairUseError, OptionValueError) as refusal:
        await report_error(interaction, refusal)
        return False
    return True


async def _wait_in_queue(
    interaction: discord.Interaction, ticket: Ticket, command: str, *, update: bool
) -> None:
    """Defer, then keep the message showing the ticket's position until its turn comes; the
    result later replaces that notice in the same message. `update`: the result replaces the
    message holding a button, not a new one."""
    if not interaction.response.is_done():
        await uninterrupted(interaction.response.defer(thinking=not update))
    lang = interaction_language(interaction)
    loop = asyncio.get_running_loop()
    shown = None
    while not ticket.granted.done():
        if ticket.position != shown:
            shown = ticket.position
            notice = text("queue_position", lang, position=shown, command=command)
            try:
                await interaction.edit_original_response(embed=progress_embed(notice))
            except discord.HTTPException as exc:  # the user still gets the result later
                log.warning("could not show a queue position: %s", exc)
            pause = loop.time() + POSITION_EDIT_INTERVAL_S
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(pause):
                    await asyncio.shield(ticket.granted)
            continue
        ticket.moved.clear()
        moved = asyncio.ensure_future(ticket.moved.wait())
        try:
            await asyncio.wait({moved, ticket.granted}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            moved.cancel()


def _finished(bot: GenAIBot, interaction: discord.Interaction, task: asyncio.Task) -> None:
    release = interaction.extras.pop(RELEASE, None)
    if release is not None:
        release()
    command = interaction.extras.get(COMMAND, "?")
    outcome = interaction.extras.get(OUTCOME) or ("interrupted" if task.cancelled() else "ok")
    took = elapsed_ms(interaction) or 0.0
    metrics = bot.metrics
    metrics.commands.labels(command=command, outcome=outcome).inc()
    metrics.latency.labels(command=command).observe(took / 1000)
    if interaction.extras.get(SERVICE_ERROR):
        metrics.text_errors.labels(kind=outcome).inc()
    fields = {
        "command": command,
        "user": user_hash(interaction.user.id),
        "guild": interaction.guild_id,
        "duration_ms": round(took),
        "outcome": outcome,
        "queued_ms": interaction.extras.get(QUEUED_MS),
    }
    log.info("%s by %s: %s in %d ms", command, fields["user"], outcome, took, extra=fields)
    bot.record_generation(interaction, fields, finished_at=time.time())
