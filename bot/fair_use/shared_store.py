"""`SharedUsageStore`: cooldowns and jobs in flight in the database every process shares.

Used when the bot's database is PostgreSQL, the one shard processes share (bot.client picks
it), so a user who talks to the bot in two guilds on two shard processes is one user: a
cooldown taken on one is refused on the other, and the per-user job limit counts both. Each
`take` is one transaction under a per-user PostgreSQL advisory lock (the user's requests on
several processes queue for it; other users never wait), so a check and its record cannot
interleave with another process's.

One process on SQLite keeps `InMemoryUsageStore`: nobody else could see the rows, and each
request would add a write to the one SQLite file (whose single write lock the audit log and
training share) where a dict costs microseconds.

A database that goes away must not stop /digit, which never needs it: limits fall back to
this process's memory (one warning line) and the database is tried again after
`RETRY_AFTER_S`. Meanwhile limits are per process, as if each shard ran alone: a user could
get one extra cooldown's worth of requests per process, never unlimited ones. A job recorded
in the database whose end cannot be written stays there, and stops counting after
`JOB_MAX_AGE_S`, as do the rows of a process that died.

Times are UTC wall-clock times of the process that wrote them: the machines' clocks must
agree (NTP) to well under a cooldown.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy import exc as sa_exc

from bot.fair_use.store import InMemoryUsageStore, Taken, UsageLimited
from bot.storage import Database
from bot.storage.cluster import serialize_transaction
from bot.storage.errors import DatabaseUnavailableError
from bot.storage.fair_use_schema import Cooldown, JobInFlight

log = logging.getLogger(__name__)

# No interaction lives longer (Discord's token lasts 15 minutes), so no job can still be
# running after it: older rows are left over by a process that died, or a lost database.
JOB_MAX_AGE_S = 15 * 60.0
# A take waits at most this long for the database: the interaction must be answered (or
# deferred) within Discord's 3 s, and a host that drops packets would hold it for the
# driver's connect timeout.
TAKE_TIMEOUT_S = 1.5
RETRY_AFTER_S = 5.0  # after the database failed, per-process limits for this long
PRUNE_EVERY_S = 600.0  # expired cooldowns and left-over jobs are deleted this often

# What a lost or failing database raises here: a connection lost (health.py's translation), a
# server that stopped answering, or one refusing work (shutting down, read-only).
UNAVAILABLE = (
    DatabaseUnavailableError,
    OSError,
    TimeoutError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
)


class SharedUsageStore:
    def __init__(self, database: Database, *, clock=time.time) -> None:
        self.database = database
        self.process = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.fallback = InMemoryUsageStore()
        self._clock = clock
        self._down_until = 0.0  # time.monotonic(): use the fallback until then
        self._pruned_at = 0.0
        self._finishing: set[asyncio.Task] = set()

    @property
    def shared(self) -> bool:
        """False while limits fall back to this process's memory."""
        return time.monotonic() >= self._down_until

    async def take(self, user_id: int, command: str, *, cooldown_s: float, jobs_limit: int | None) -> Taken:
        if self.shared:
            try:
                async with asyncio.timeout(TAKE_TIMEOUT_S):
                    return await self._take_shared(user_id, command, cooldown_s, jobs_limit)
            except UNAVAILABLE as exc:
                self._down_until = time.monotonic() + RETRY_AFTER_S
                log.warning(
                    "fair use: database unavailable (%s); limits are per process until it is back",
                    getattr(exc, "reason", None) or type(exc).__name__,
                )
        return self.fallback.take_now(user_id, command, cooldown_s=cooldown_s, jobs_limit=jobs_limit)

    async def _take_shared(
        self, user_id: int, command: str, cooldown_s: float, jobs_limit: int | None
    ) -> Taken:
        now = datetime.fromtimestamp(self._clock(), UTC)
        async with self.database.session.begin() as session:
            await serialize_transaction(session, f"fair-use user {user_id}")
            cooldown = await session.get(Cooldown, (user_id, command))
            if cooldown is not None and cooldown.ends_at > now:
                raise UsageLimited("cooldown", (cooldown.ends_at - now).total_seconds())
            if jobs_limit is not None:
                running = await session.scalar(
                    select(func.count())
                    .select_from(JobInFlight)
                    .where(
                        JobInFlight.user_id == user_id,
                        JobInFlight.started_at > now - timedelta(seconds=JOB_MAX_AGE_S),
                    )
                )
                if running >= jobs_limit:
                    raise UsageLimited("too_many_jobs")
            job = JobInFlight(user_id=user_id, process=self.process, started_at=now)
            session.add(job)
            ends = None
            if cooldown_s > 0:
                ends = now + timedelta(seconds=cooldown_s)
                if cooldown is None:
                    session.add(Cooldown(user_id=user_id, command=command, ends_at=ends))
                else:
                    cooldown.ends_at = ends
            if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
                self._pruned_at = time.monotonic()
                await _prune(session, now)
            await session.flush()  # gives the job its id
        self._recovered()
        return Taken(user_id, command, ends and ends.timestamp(), job=job.id, store=self)

    def _recovered(self) -> None:
        if self._down_until:
            self._down_until = 0.0
            log.info("fair use: database back; limits are shared again")

    async def undo(self, taken: Taken) -> None:
        if taken.store is not self:
            await self.fallback.undo(taken)
            return
        try:
            async with self.database.session.begin() as session:
                await session.execute(delete(JobInFlight).where(JobInFlight.id == taken.job))
                if taken.cooldown_ends is not None:
                    ends = datetime.fromtimestamp(taken.cooldown_ends, UTC)
                    await session.execute(
                        delete(Cooldown).where(
                            Cooldown.user_id == taken.user_id,
                            Cooldown.command == taken.command,
                            Cooldown.ends_at == ends,
                        )
                    )
        except UNAVAILABLE as exc:  # the row ages out; the cooldown stays, a small unfairness
            log.warning(
                "fair use: could not undo a job in the database (%s)",
                getattr(exc, "reason", None) or type(exc).__name__,
            )

    def finish(self, taken: Taken) -> None:
        if taken.store is not self:
            self.fallback.finish(taken)
            return
        task = asyncio.get_running_loop().create_task(self._finish(taken.job))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)

    async def _finish(self, job_id: int) -> None:
        try:
            async with self.database.session.begin() as session:
                await session.execute(delete(JobInFlight).where(JobInFlight.id == job_id))
        except UNAVAILABLE as exc:
            log.warning(
                "fair use: could not record a job's end in the database (%s); it stops "
                "counting within %d minutes",
                getattr(exc, "reason", None) or type(exc).__name__,
                JOB_MAX_AGE_S // 60,
            )

    async def close(self) -> None:
        """Write the ends of jobs already finished (before the database closes)."""
        if self._finishing:
            await asyncio.gather(*self._finishing, return_exceptions=True)


async def _prune(session, now: datetime) -> None:
    await session.execute(delete(Cooldown).where(Cooldown.ends_at < now))
    await session.execute(
        delete(JobInFlight).where(JobInFlight.started_at < now - timedelta(seconds=JOB_MAX_AGE_S))
    )
