"""The training_jobs table: one row per job, written only by the bot's supervisor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage import Database
from bot.storage.schema import TrainingJob, utc_now

RUNNING = "running"
ENDED = ("finished", "failed", "cancelled", "interrupted")


class JobStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create(self, **fields: Any) -> TrainingJob:
        async with self.database.session.begin() as session:
            job = TrainingJob(state=RUNNING, **fields)
            session.add(job)
        return job

    async def get(self, job_id: int) -> TrainingJob | None:
        async with self.database.session() as session:
            return await session.get(TrainingJob, job_id)

    async def running(self) -> list[TrainingJob]:
        async with self.database.session() as session:
            rows = await session.scalars(
                select(TrainingJob).where(TrainingJob.state == RUNNING).order_by(TrainingJob.id)
            )
            return list(rows)

    async def latest(self) -> TrainingJob | None:
        async with self.database.session() as session:
            return await session.scalar(select(TrainingJob).order_by(TrainingJob.id.desc()).limit(1))

    async def last_ended(self) -> TrainingJob | None:
        async with self.database.session() as session:
            return await session.scalar(
                select(TrainingJob)
                .where(TrainingJob.state.in_(ENDED))
                .order_by(TrainingJob.id.desc())
                .limit(1)
            )

    async def update(self, job_id: int, **fields: Any) -> TrainingJob:
        async with self.database.session.begin() as session:
            job = await session.get(TrainingJob, job_id)
            for name, value in fields.items():
                setattr(job, name, value)
        return job

    async def end(
        self,
        job_id: int,
        state: str,
        *,
        reason: str | None = None,
        reason_params: dict[str, Any] | None = None,
        outcome: str | None = None,
        **fields: Any,
    ) -> TrainingJob:
        """Close the job: its final state, and why (a catalogue key and its parameters)."""
        job = await self.get(job_id)
        metrics = {**(job.metrics or {}), **fields.pop("metrics", {})}
        if reason_params is not None:
            metrics["reason_params"] = reason_params
        return await self.update(
            job_id,
            state=state,
            reason=reason,
            outcome=outcome,
            metrics=metrics,
            finished_at=utc_now(),
            **fields,
        )
