"""Fair use shared by every process of one bot: cooldowns, and the jobs each user has in flight.

Only bot.fair_use.shared_store reads and writes these (on PostgreSQL, where shard processes
share state); one process on SQLite keeps them in memory instead (see that module).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.schema import Base, UTCDateTime, utc_now


class Cooldown(Base):
    """When `user_id` may use `command` again; a row whose `ends_at` has passed means nothing."""

    __tablename__ = "fair_use_cooldowns"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    command: Mapped[str] = mapped_column(String(64), primary_key=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class JobInFlight(Base):
    """One admitted job (running or queued) of `user_id`, in process `process`.

    A process that dies leaves its rows behind: they stop counting once older than the longest
    an interaction can live (bot.fair_use.shared_store.JOB_MAX_AGE_S), and are pruned later.
    """

    __tablename__ = "fair_use_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    process: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
