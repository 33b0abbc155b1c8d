"""The audit log: one row per generation (hashed user id, guild, channel, command, options,
outcome, duration, model version) in the bot's database, kept for GENAI_AUDIT_RETENTION_DAYS.

It answers "who made this image?" without keeping raw user ids: hash the id in question with
bot.logs.user_hash and look it up (docs/operating.md, "Audit log"). Writes happen after the reply, off the
user's path; one that fails is logged and the user never notices.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from sqlalchemy import delete

from bot.fair_use.limits import COMMAND_RESOURCES
from bot.storage import Database
from bot.storage.audit_schema import Generation
from bot.storage.component_state_schema import ComponentState

log = logging.getLogger(__name__)

AUDITED = "genai_audited"  # Interaction.extras: the fair-use command a generation counted as
# Interaction.extras: what a generation acted on, where neither options nor a button's message
# say it (a line of a poem written together: its lines and their hashed authors).
AUDIT_OPTIONS = "genai_audit_options"
MAX_OPTION_CHARS = 300  # a poem's topic at most; longer strings are cut
PRUNE_EVERY_S = 6 * 3600.0


class AuditLog:
    def __init__(
        self,
        database: Database,
        *,
        retention_days: float,
        model_version: Callable[[str], str | None],
    ) -> None:
        self.database = database
        self.retention = timedelta(days=retention_days)
        self._model_version = model_version
        self._writes: set[asyncio.Task] = set()
        self._pruning: asyncio.Task | None = None
        self._closing = asyncio.Event()  # close() was called: prune no more

    def record(self, interaction: discord.Interaction, fields: dict[str, Any], finished_at: float) -> None:
        """A GenAIBot generation recorder: queue the row for a write (the caller is not async)."""
        audited = interaction.extras.get(AUDITED)
        if audited is None:
            return  # not a generation (a refusal, /train-status, a picker opening)
        row = Generation(
            created_at=datetime.fromtimestamp(finished_at, UTC),
            user_hash=fields["user"],
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            command=fields["command"],
            options=options_of(interaction),
            outcome=fields["outcome"],
            duration_ms=fields["duration_ms"],
            model_version=self._model_version(COMMAND_RESOURCES.get(audited, "model")),
        )
        task = asyncio.get_running_loop().create_task(self._write(row))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, row: Generation) -> None:
        try:
            async with self.database.session.begin() as session:
                session.add(row)
        except Exception as exc:  # the database is locked, full or gone: the reply went out anyway
            log.warning("could not write the audit row for %s: %s", row.command, exc)

    async def prune(self, *, now: datetime | None = None) -> int:
        """Delete rows older than the retention period, and the button state of messages as
        old; how many generations went."""
        cutoff = (now or datetime.now(UTC)) - self.retention
        async with self.database.session.begin() as session:
            result = await session.execute(delete(Generation).where(Generation.created_at < cutoff))
            # What old messages' buttons acted on (a poem's topic and text) goes with them.
            states = await session.execute(delete(ComponentState).where(ComponentState.created_at < cutoff))
        if states.rowcount:
            log.info("removed the button state of %d messages older than %s", states.rowcount, cutoff.date())
        if result.rowcount:
            log.info("audit log: removed %d rows older than %s", result.rowcount, cutoff.date())
        return result.rowcount or 0

    def start(self) -> None:
        self._pruning = asyncio.get_running_loop().create_task(self._prune_regularly())

    async def _prune_regularly(self) -> None:
        while not self._closing.is_set():
            try:
                await self.prune()
            except Exception as exc:
                log.warning("could not prune the audit log: %s", exc)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PRUNE_EVERY_S):
                    await self._closing.wait()

    async def close(self) -> None:
        """Finish the writes and the pruning under way (before the database closes): a query
        cancelled half-way would leave the driver's thread answering a loop that may be gone."""
        self._closing.set()
        if self._pruning is not None:
            await asyncio.gather(self._pruning, return_exceptions=True)
        while self._writes:  # a write queued while waiting is waited for too
            await asyncio.gather(*self._writes, return_exceptions=True)


def options_of(interaction: discord.Interaction) -> dict[str, Any]:
    """A slash command's option values (long strings cut), or what a button acted on."""
    if AUDIT_OPTIONS in interaction.extras:
        return interaction.extras[AUDIT_OPTIONS]
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    if interaction.type is discord.InteractionType.component:
        message = interaction.message
        return {"message_id": message.id if message else None, "values": data.get("values", [])}
    options = {}
    for option in data.get("options", []):
        value = option.get("value")
        if isinstance(value, str):
            value = value[:MAX_OPTION_CHARS]
        options[option.get("name", "?")] = value
    return options
