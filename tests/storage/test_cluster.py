"""Shard claims and cluster-wide locks through a real PostgreSQL server (advisory locks)."""

from __future__ import annotations

import asyncio
import sys
import textwrap

import pytest
import pytest_asyncio
from sqlalchemy import text

from bot.storage import Database, DatabaseError
from bot.storage.cluster import NAMED_SPACE, SHARD_SPACE, ClusterLock, ShardClaim
from tests.shard_processes import REPO_ROOT

pytestmark = pytest.mark.asyncio


async def held_shards(database: Database) -> list[int]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT objid::int FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = CAST(:space AS oid) ORDER BY 1"
            ),
            {"space": SHARD_SPACE},
        )
        return [row[0] for row in rows]


@pytest_asyncio.fixture
async def databases(postgres_database):
    """Two Database objects on one PostgreSQL database, as two processes have."""
    first = await Database.open(postgres_database.url)
    second = await Database.open(postgres_database.url)
    yield first, second
    await first.close()
    await second.close()


async def test_a_shard_another_process_runs_is_refused_and_free_again_once_it_ends(databases):
    first, second = databases
    claim = await ShardClaim.take(first, 4, [0, 1])
    with pytest.raises(
        DatabaseError,
        match=r"^shard 1 is already run by another process of "
        r"this bot \(from 127\.0\.0\.1, database backend "
        r"pid \d+\): give each process its own SHARD_IDS",
    ):
        await ShardClaim.take(second, 4, [2, 1])
    assert await held_shards(second) == [0, 1]  # the refused claim kept nothing (not even 2)
    other = await ShardClaim.take(second, 4, [2, 3])  # disjoint: fine
    await claim.release()
    again = await ShardClaim.take(second, 4, [0, 1])
    assert await held_shards(first) == [0, 1, 2, 3]
    await other.release()
    await again.release()
    assert await held_shards(first) == []


async def test_processes_with_different_shard_counts_are_refused(databases):
    first, second = databases
    claim = await ShardClaim.take(first, 2, [0])
    with pytest.raises(
        DatabaseError,
        match=r"^another process of this bot \(from .*\) runs with "
        r"SHARD_COUNT=2, this one with SHARD_COUNT=4: every "
        r"process must use the same SHARD_COUNT",
    ):
        await ShardClaim.take(second, 4, [1])
    await claim.release()


async def test_a_claim_is_taken_again_after_the_database_restarts(own_postgres_server):
    server = own_postgres_server
    database = await Database.open(server.url())
    claim = await ShardClaim.take(database, 2, [1], keep_every_s=0.1)
    try:
        server.stop()
        server.start()
        for _ in range(100):
            if await held_shards(database) == [1]:
                break
            await asyncio.sleep(0.1)
        assert await held_shards(database) == [1]
        other = await Database.open(server.url())
        with pytest.raises(DatabaseError, match=r"^shard 1 is already run"):
            await ShardClaim.take(other, 2, [1])
        await other.close()
    finally:
        await claim.release()
        await database.close()


async def test_a_cluster_lock_has_one_holder_until_released(databases):
    first, second = databases
    mine, theirs = ClusterLock(first, "training"), ClusterLock(second, "training")
    results = await asyncio.gather(mine.try_acquire(), theirs.try_acquire())
    assert sorted(results) == [False, True]
    winner, loser = (mine, theirs) if results[0] else (theirs, mine)
    assert winner.held and not loser.held
    unrelated = ClusterLock(first, "something else")
    assert await unrelated.try_acquire()
    await unrelated.release()
    await winner.release()
    assert await loser.try_acquire()
    await loser.release()


async def test_on_sqlite_a_cluster_lock_is_this_processs_own(tmp_path):
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    lock = ClusterLock(database, "training")
    assert await lock.try_acquire()
    assert not await lock.try_acquire()
    await lock.release()
    assert await lock.try_acquire()
    await lock.release()
    await database.close()


# Each process opens the database, waits for the go (a line on stdin), tries the lock, says
# what it got, and holds it until its stdin closes: the server must give it to exactly one.
CONTENDER = textwrap.dedent("""
    import asyncio, sys
    from bot.storage import Database
    from bot.storage.cluster import ClusterLock

    async def main():
        database = await Database.open(sys.argv[1])
        lock = ClusterLock(database, "training")
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        print("won" if await lock.try_acquire() else "lost", flush=True)
        await asyncio.to_thread(sys.stdin.read)
        await lock.release()
        await database.close()

    asyncio.run(main())
""")


async def test_two_processes_trying_at_once_get_exactly_one_lock(postgres_database):
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CONTENDER,
            postgres_database.url,
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        for process in processes:
            assert await asyncio.wait_for(process.stdout.readline(), 60) == b"ready\n"
        for process in processes:
            process.stdin.write(b"go\n")
        await asyncio.gather(*(process.stdin.drain() for process in processes))
        answers = [(await asyncio.wait_for(p.stdout.readline(), 30)).strip() for p in processes]
        assert sorted(answers) == [b"lost", b"won"]
        database = await Database.open(postgres_database.url)
        async with database.engine.connect() as connection:
            holders = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = CAST(:space AS oid)"
                ),
                {"space": NAMED_SPACE},
            )
        await database.close()
        assert holders == 1
    finally:
        for process in processes:
            process.stdin.close()
        codes = [await asyncio.wait_for(process.wait(), 30) for process in processes]
    assert codes == [0, 0]
