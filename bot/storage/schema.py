"""The bot's tables, as SQLAlchemy 2.x declarative classes. Each change here needs a migration.

Portable types only (Integer, BigInteger, String, Text, Float, JSON, UTCDateTime), so the same
classes work on SQLite and PostgreSQL. Discord ids are snowflakes below 2**63: BigInteger holds
them on every database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Constraint names that are the same on every database, so a migration can name what it drops.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite keeps no zone and returns naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class TrainingJob(Base):
    """One training run started from Discord (or resumed): who, where, what, and how it ended.

    `state`: running, finished, failed, cancelled or interrupted (its process died).
    `outcome` of a finished job: swapped (now serving) or rejected (`reason` says why).
    """

    __tablename__ = "training_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_by: Mapped[int] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), index=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    total_epochs: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    job_dir: Mapped[str] = mapped_column(String(1024))
    pid: Mapped[int | None] = mapped_column(Integer)
    resumed_from: Mapped[int | None] = mapped_column(ForeignKey("training_jobs.id"))


class ModelVersion(Base):
    """A model the registry knows: its files, its scores, and whether it serves.

    `state`: serving (exactly one at a time), previous (what rollback returns to), rejected (it
    failed the swap checks; `reason` says which) or archived.
    """

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(1024))
    card_summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_job: Mapped[int | None] = mapped_column(ForeignKey("training_jobs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    validation_negative_elbo: Mapped[float | None] = mapped_column(Float)
    fidelity: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    reason: Mapped[str | None] = mapped_column(Text)
