"""`SettingsStore`: servers' settings and users' preferences in the bot's database.

Each change is one transaction: the new value (or its removal), an audit row (the changer's
hashed id, when, old → new) and the settings version bumped, so every process that polls the
version (bot.guild_rules.cache) sees the change with the audit that explains it.

Audit rows are kept as long as the generations' audit log (GENAI_AUDIT_RETENTION_DAYS, pruned
with the same period); with retention 0 none is written.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from bot.fair_use.shared_store import JOB_MAX_AGE_S
from bot.ops.logs import user_hash
from bot.storage import Database
from bot.storage.fair_use_schema import Cooldown, JobInFlight
from bot.storage.server_settings_schema import (
    GuildSetting,
    SettingsChange,
    SettingsVersion,
    UserPreference,
)

log = logging.getLogger(__name__)


class SettingsStore:
    def __init__(self, database: Database, *, retention_days: float) -> None:
        self.database = database
        self.retention_days = retention_days

    async def version(self) -> int:
        async with self.database.session() as session:
            found = await session.scalar(select(SettingsVersion.version).where(SettingsVersion.id == 1))
        return int(found or 0)

    async def guild(self, guild_id: int) -> dict[str, Any]:
        async with self.database.session() as session:
            rows = await session.execute(
                select(GuildSetting.key, GuildSetting.value).where(GuildSetting.guild_id == guild_id)
            )
        return dict(rows.tuples().all())

    async def preferences(self, user_id: int) -> dict[str, Any]:
        async with self.database.session() as session:
            rows = await session.execute(
                select(UserPreference.key, UserPreference.value).where(UserPreference.user_id == user_id)
            )
        return dict(rows.tuples().all())

    async def everything(self) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
        """Every server's settings and every user's preferences (for one process on SQLite,
        which then never reads them on a command's path)."""
        guilds: dict[int, dict[str, Any]] = {}
        users: dict[int, dict[str, Any]] = {}
        async with self.database.session() as session:
            for guild_id, key, value in await session.execute(
                select(GuildSetting.guild_id, GuildSetting.key, GuildSetting.value)
            ):
                guilds.setdefault(guild_id, {})[key] = value
            for user_id, key, value in await session.execute(
                select(UserPreference.user_id, UserPreference.key, UserPreference.value)
            ):
                users.setdefault(user_id, {})[key] = value
        return guilds, users

    async def set_guild(self, guild_id: int, key: str, value: Any, *, actor_id: int) -> Any:
        """Store (None: remove) one server setting; the old value."""
        return await self._set(
            GuildSetting, {"guild_id": guild_id}, key, value, actor_id=actor_id, guild_id=guild_id
        )

    async def set_preference(self, user_id: int, key: str, value: Any) -> Any:
        return await self._set(
            UserPreference, {"user_id": user_id}, key, value, actor_id=user_id, guild_id=None
        )

    async def _set(
        self, table, owner: dict[str, int], key: str, value: Any, *, actor_id: int, guild_id: int | None
    ) -> Any:
        async with self.database.session.begin() as session:
            row = await session.get(table, {**owner, "key": key})
            old = row.value if row is not None else None
            if value is None:
                if row is not None:
                    await session.delete(row)
            elif row is None:
                session.add(table(**owner, key=key, value=value))
            else:
                row.value = value
                row.updated_at = datetime.now(UTC)
            if self.retention_days > 0 and old != value:
                session.add(
                    SettingsChange(
                        guild_id=guild_id, actor_hash=user_hash(actor_id), key=key, old=old, new=value
                    )
                )
            await _bump(session)
        return old

    async def forget_user(self, user_id: int) -> None:
        """Delete what names this user: their preferences and the audit of them, and the
        fair-use rows of theirs that no longer count (a cooldown still running stays until it
        ends, then is pruned like any other). What stays: the generations' audit and the
        server settings changes they made as an admin, under a hashed id, until retention."""
        now = datetime.now(UTC)
        async with self.database.session.begin() as session:
            await session.execute(delete(UserPreference).where(UserPreference.user_id == user_id))
            await session.execute(
                delete(SettingsChange).where(
                    SettingsChange.guild_id.is_(None), SettingsChange.actor_hash == user_hash(user_id)
                )
            )
            await session.execute(
                delete(Cooldown).where(Cooldown.user_id == user_id, Cooldown.ends_at <= now)
            )
            await session.execute(
                delete(JobInFlight).where(
                    JobInFlight.user_id == user_id,
                    JobInFlight.started_at < now - timedelta(seconds=JOB_MAX_AGE_S),
                )
            )
            await _bump(session)

    async def changes(self, guild_id: int | None = None) -> list[SettingsChange]:
        async with self.database.session() as session:
            rows = await session.scalars(
                select(SettingsChange)
                .where(
                    SettingsChange.guild_id == guild_id
                    if guild_id is not None
                    else SettingsChange.guild_id.is_(None)
                )
                .order_by(SettingsChange.id)
            )
        return list(rows)

    async def prune(self, *, now: datetime | None = None) -> int:
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        async with self.database.session.begin() as session:
            result = await session.execute(delete(SettingsChange).where(SettingsChange.created_at < cutoff))
        return result.rowcount or 0


async def _bump(session) -> None:
    await session.execute(
        update(SettingsVersion).where(SettingsVersion.id == 1).values(version=SettingsVersion.version + 1)
    )
