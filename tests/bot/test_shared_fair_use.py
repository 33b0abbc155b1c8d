"""Fair use shared through PostgreSQL: a user on two shard processes is one user.

Two bots run in this test's process, each with its own shard, its own Database (its own server
sessions, as two processes would have) and its own worker pool, against one loopback Discord
whose two guilds sit on the two shards; as in tests/training/test_cluster.py. The stores
themselves are also driven directly, two at once, for the per-user job limit and for a
database that goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

import pytest

from bot.app import build_bot
from bot.fair_use.limits import FairUseLimits
from bot.fair_use.shared_store import SharedUsageStore
from bot.fair_use.store import UsageLimited
from bot.settings import Settings
from bot.storage import Database
from bot.worker_pool import WorkerPool
from tests.fakes.discord_server import GUILD_READY_TIMEOUT_S, DiscordStandIn, run_bot

pytestmark = pytest.mark.asyncio

LIMITS = FairUseLimits(cooldowns_s={"digit": 60.0}, jobs_per_user=10, model_concurrency=2)


@contextlib.asynccontextmanager
async def shard_bot(server, sampler, tmp_path, database_url, shard_id):
    settings = Settings(
        training_dir=tmp_path / "runs",
        workers=1,
        data_dir=tmp_path / "data",
        database_url=database_url,
        fair_use=LIMITS,
        shard_count=2,
        shard_ids=(shard_id,),
    )
    database = await Database.open(database_url)
    try:
        with WorkerPool(workers=1, timeout_s=30) as pool:
            bot = build_bot(
                settings,
                pool=pool,
                database=database,
                load_sampler=lambda: sampler,
                guild_ready_timeout=GUILD_READY_TIMEOUT_S,
            )
            async with run_bot(bot, server, ready_timeout=30):
                yield bot
    finally:
        await database.close()


async def test_a_cooldown_taken_on_one_shard_process_is_refused_on_the_other(
    sampler, tmp_path, postgres_database
):
    async with DiscordStandIn(shard_count=2) as server:
        first = server.world.move_guild_to_shard(server.world.guild, 0, 2)
        second = server.add_guild("Segundo", on_shard=(1, 2))
        async with (
            shard_bot(server, sampler, tmp_path, postgres_database.url, 0) as a,
            shard_bot(server, sampler, tmp_path, postgres_database.url, 1) as b,
        ):
            await server.wait_until_connected()
            assert isinstance(a.fair_use.store, SharedUsageStore)
            taken = await server.inject_command("digit", {"digit": 3}, guild=first)
            assert (await server.wait_for_reply(taken, lambda r: r.files, timeout=30)).files
            again = await server.inject_command("digit", {"digit": 3}, guild=second)
            refused = await server.wait_for_reply(again, lambda r: r.ephemeral and r.content)
            other_user = await server.inject_command("digit", {"digit": 3}, guild=second, user=server.bob)
            served = await server.wait_for_reply(other_user, lambda r: r.files, timeout=30)
            refusals = [
                bot.metrics.refusals.labels(command="digit", reason="cooldown")._value.get() for bot in (a, b)
            ]
    assert re.fullmatch(r"You can use /digit again <t:\d+:R>\.", refused.content)
    assert served.files  # the cooldown is one user's, not the guild's or the process's
    assert refusals == [0, 1]  # refused by the process that did not take it
    owners = {s.shard for s in server.sessions if s.owns_guild(second.id)}
    assert owners == {(1, 2)}
    assert server.errors == []


async def _two_stores(url):
    databases = [await Database.open(url) for _ in range(2)]
    return databases, [SharedUsageStore(database) for database in databases]


async def test_jobs_in_flight_count_across_processes_and_one_of_two_at_once_wins(postgres_database):
    databases, (a, b) = await _two_stores(postgres_database.url)
    try:
        job = await a.take(7, "morph", cooldown_s=0, jobs_limit=1)
        with pytest.raises(UsageLimited) as limited:
            await b.take(7, "digit", cooldown_s=0, jobs_limit=1)
        assert limited.value.code == "too_many_jobs"
        other = await b.take(8, "digit", cooldown_s=0, jobs_limit=1)  # another user: free
        a.finish(job)
        b.finish(other)
        await a.close()
        await b.close()
        # Two requests of one user at once, one per process, limit one: exactly one passes.
        outcomes = await asyncio.gather(
            *(store.take(9, "digit", cooldown_s=30, jobs_limit=1) for store in (a, b)), return_exceptions=True
        )
        again = await b.take(7, "digit", cooldown_s=0, jobs_limit=1)  # its job ended on a
    finally:
        for database in databases:
            await database.close()
    assert sorted(type(o).__name__ for o in outcomes) == ["Taken", "UsageLimited"]
    assert again.store is b


async def test_a_database_that_goes_away_leaves_limits_per_process_until_it_is_back(
    own_postgres_server, caplog, monkeypatch
):
    import bot.fair_use.shared_store as shared_store

    monkeypatch.setattr(shared_store, "RETRY_AFTER_S", 0.2)
    database = await Database.open(own_postgres_server.url())
    store = SharedUsageStore(database)
    try:
        shared = await store.take(1, "digit", cooldown_s=60, jobs_limit=5)
        own_postgres_server.stop()
        with caplog.at_level(logging.WARNING, logger="bot.fair_use.shared_store"):
            during = await store.take(2, "digit", cooldown_s=60, jobs_limit=5)
            with pytest.raises(UsageLimited):  # still limited, in this process's memory
                await store.take(2, "digit", cooldown_s=60, jobs_limit=5)
            store.finish(during)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        own_postgres_server.start()
        await asyncio.sleep(0.3)
        with pytest.raises(UsageLimited) as limited:  # the database's cooldown, kept all along
            await store.take(1, "digit", cooldown_s=60, jobs_limit=5)
        back = await store.take(3, "digit", cooldown_s=0, jobs_limit=5)
    finally:
        await store.close()
        await database.close()
    assert shared.store is store and during.store is store.fallback
    assert limited.value.code == "cooldown" and 50 < limited.value.wait_s <= 60
    assert back.store is store
    assert len(warnings) == 1 and "limits are per process" in warnings[0]
