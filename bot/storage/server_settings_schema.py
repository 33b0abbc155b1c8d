"""Per-server settings, per-user preferences, the audit of their changes, and one version row.

Only bot.guild_rules reads and writes these. Settings and preferences are key → JSON value rows,
so a new setting needs no migration; bot.guild_rules.model says which keys exist and checks
their values. Every change bumps `settings_version`'s one row in the same transaction: each bot
process polls that row (one indexed read) to know when its cached rules are stale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.schema import Base, UTCDateTime, utc_now


class GuildSetting(Base):
    """One setting a server's admins chose; a key without a row takes the operator's default."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class UserPreference(Base):
    """One preference of one user, the same in every server and shard process."""

    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SettingsChange(Base):
    """Who (a hashed user id) changed what, when, from what to what. `guild_id` None: a user's
    own preference, whose rows `/preferences forget` deletes with the preferences."""

    __tablename__ = "settings_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    actor_hash: Mapped[str] = mapped_column(String(32), index=True)
    key: Mapped[str] = mapped_column(String(64))
    old: Mapped[Any | None] = mapped_column(JSON)
    new: Mapped[Any | None] = mapped_column(JSON)


class SettingsVersion(Base):
    """One row (id 1): a counter every settings or preferences change increments."""

    __tablename__ = "settings_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
