"""What the processes of one bot settle through their shared PostgreSQL database.

PostgreSQL advisory locks, which the server itself releases when the connection holding them
ends (a process stopped, crashed, or cut off), so nothing is ever left locked by a dead
process and no table or migration is needed:

- `ShardClaim`: each shard process holds one lock per shard it runs, and a shared lock on its
  SHARD_COUNT. A process whose shards another live process already runs, or whose SHARD_COUNT
  differs from the others', is refused at start-up with one line (DatabaseError): two
  processes on one shard would both answer every interaction of its guilds.
- `ClusterLock`: one holder cluster-wide for a named piece of work (e.g. the one training job).

Keys are pairs of int4: a space (below) and a number in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import Database
from bot.storage.errors import DatabaseError, DatabaseUnavailableError
from bot.storage.postgres import is_postgres

log = logging.getLogger(__name__)

SHARD_SPACE = 0x67656E01  # one lock per shard id
SHARD_COUNT_SPACE = 0x67656E02  # shared locks: the SHARD_COUNT of each live process
NAMED_SPACE = 0x67656E03  # ClusterLock names, hashed
KEEP_EVERY_S = 10.0  # how often a claim checks its connection is still there (and its locks)

_HELD_IN_SPACE = text(
    "SELECT l.objid::bigint AS number, host(a.client_addr) AS host, l.pid "
    "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
    "AND l.classid = CAST(:space AS oid) AND l.pid <> pg_backend_pid() "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class ShardClaim:
    """This process's shards, held in the database for as long as the process runs."""

    def __init__(
        self,
        database: Database,
        shard_count: int,
        shard_ids: tuple[int, ...],
        *,
        keep_every_s: float = KEEP_EVERY_S,
    ) -> None:
        self.database = database
        self.shard_count = shard_count
        self.shard_ids = shard_ids
        self.keep_every_s = keep_every_s
        self._connection: AsyncConnection | None = None
        self._keeper: asyncio.Task | None = None

    @classmethod
    async def take(
        cls,
        database: Database,
        shard_count: int,
        shard_ids: Iterable[int],
        *,
        keep_every_s: float = KEEP_EVERY_S,
    ) -> ShardClaim:
        """Claim `shard_ids` of `shard_count`; DatabaseError (one line) if another process has
        one of them or runs another SHARD_COUNT. Keeps the claim through database restarts."""
        claim = cls(database, shard_count, tuple(shard_ids), keep_every_s=keep_every_s)
        await claim._acquire()
        claim._keeper = asyncio.create_task(claim._keep(), name="shard-claim")
        return claim

    async def _acquire(self) -> None:
        connection = await self.database.engine.connect()
        try:
            await _claim_on(connection, self.shard_count, self.shard_ids)
        except BaseException:
            await _discard(connection)  # with any lock it took before failing
            raise
        self._connection = connection
        log.info(
            "shards %s of %d claimed in the database", ",".join(map(str, self.shard_ids)), self.shard_count
        )

    async def _keep(self) -> None:
        """The locks live on one connection: if the database restarts they go with it, so
        take them again once it is back (and say so loudly if someone else took them)."""
        while True:
            await asyncio.sleep(self.keep_every_s)
            try:
                await self._connection.execute(text("SELECT 1"))
                await self._connection.commit()
                continue
            except Exception as exc:  # the connection is gone, or unusable: start afresh
                log.warning(
                    "shard claim lost its database connection (%s); taking it again",
                    getattr(exc, "reason", exc),
                )
            with contextlib.suppress(Exception):  # already dead: nothing left to free
                await _discard(self._connection)
            self._connection = None
            while self._connection is None:
                try:
                    await self._acquire()
                except DatabaseUnavailableError:
                    await asyncio.sleep(self.keep_every_s)
                except DatabaseError as exc:
                    log.error("after the database came back: %s", exc)
                    await asyncio.sleep(self.keep_every_s)

    async def release(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None
        if self._connection is not None:
            await _discard(self._connection)
            self._connection = None


async def _discard(connection: AsyncConnection) -> None:
    """Close the connection for real, not back into the pool: ending the server session is
    what frees its advisory locks, which a pooled connection would keep holding."""
    try:
        await connection.invalidate()
    finally:
        await connection.close()


async def _claim_on(connection: AsyncConnection, shard_count: int, shard_ids: tuple[int, ...]) -> None:
    await connection.execute(
        text("SELECT pg_advisory_lock_shared(:space, :count)"),
        {"space": SHARD_COUNT_SPACE, "count": shard_count},
    )
    counts = (await connection.execute(_HELD_IN_SPACE, {"space": SHARD_COUNT_SPACE})).all()
    other = next((row for row in counts if row.number != shard_count), None)
    if other is not None:
        raise DatabaseError(
            f"another process of this bot{_from(other)} runs with SHARD_COUNT={other.number}, "
            f"this one with SHARD_COUNT={shard_count}: every process must use the same "
            "SHARD_COUNT"
        )
    for shard_id in shard_ids:
        took = await connection.scalar(
            text("SELECT pg_try_advisory_lock(:space, :id)"), {"space": SHARD_SPACE, "id": shard_id}
        )
        if not took:
            holders = (await connection.execute(_HELD_IN_SPACE, {"space": SHARD_SPACE})).all()
            holder = next((row for row in holders if row.number == shard_id), None)
            raise DatabaseError(
                f"shard {shard_id} is already run by another process of this bot"
                f"{_from(holder) if holder else ''}: give each process its own SHARD_IDS "
                "(together they cover 0 to SHARD_COUNT-1, each shard once)"
            )
    await connection.commit()  # session-level locks outlive the transaction that took them


def _from(row) -> str:
    return f" (from {row.host or 'this machine'}, database backend pid {row.pid})"


class ClusterLock:
    """One holder at a time across every process sharing the database, for work named `name`.

    `await lock.try_acquire()` is True for exactly one caller until it calls `release()` or
    its process ends. SQLite serves one process: there it is a lock within this process.
    """

    def __init__(self, database: Database, name: str) -> None:
        self.database = database
        self.name = name
        self.key = _key(name)
        self._connection: AsyncConnection | None = None
        self._local = asyncio.Lock() if not database.is_postgres else None

    async def try_acquire(self) -> bool:
        if self._local is not None:
            if self._local.locked():
                return False
            await self._local.acquire()
            return True
        if self._connection is not None:
            return False  # this process holds it already
        connection = await self.database.engine.connect()
        try:
            took = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:space, :key)"), {"space": NAMED_SPACE, "key": self.key}
            )
            await connection.commit()
        except BaseException:
            await _discard(connection)
            raise
        if not took:
            await connection.close()  # it holds nothing: back to the pool
            return False
        self._connection = connection
        return True

    @property
    def held(self) -> bool:
        return self._connection is not None or bool(self._local and self._local.locked())

    async def release(self) -> None:
        if self._local is not None:
            if self._local.locked():
                self._local.release()
            return
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await _discard(connection)


async def serialize_transaction(session, name: str) -> None:
    """Hold the cluster-wide lock `name` until `session`'s transaction ends (PostgreSQL), so
    read-then-write changes of two processes run one after the other. SQLite needs none: one
    process, and its write lock serializes writers."""
    if is_postgres(session.bind.url):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": NAMED_SPACE, "key": _key(name)}
        )


def _key(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def needs_shared_database(shard_count: int | None, shard_ids: tuple[int, ...] | None) -> bool:
    """SHARD_IDS naming fewer than all shards: other processes run the rest, and share state."""
    return shard_count is not None and shard_ids is not None and len(shard_ids) < shard_count
