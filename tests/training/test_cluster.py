"""Two shard processes' bots sharing one PostgreSQL database and one data folder: a training
start from each at once (exactly one job runs), the winner's model served by both within the
follower's bound, a rollback from the other one likewise; and the database stopped and
started while a bot runs.

The two bots run in this test's process, each with its own shards, its own Database (its own
server sessions: PostgreSQL's advisory locks cannot tell them from two processes) and its own
worker pool, against one loopback Discord whose two guilds sit on the two shards. The lock
itself is also tested across real processes in tests/storage/test_cluster.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace

import pytest

from bot.app import build_bot
from bot.settings import Settings
from bot.storage import Database
from bot.worker_pool import WorkerPool
from genai_models.catalogue import english
from tests.fakes.discord_server import GUILD_READY_TIMEOUT_S, DiscordStandIn, run_bot
from tests.training.jobs import ACCEPT_ANY, JOB_TIMEOUT_S, SHORT_JOBS, ended, wait_for_job

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

FOLLOW_S = 0.5
SWAP_BOUND_S = 15.0  # the follower's poll plus loading a model, on a busy two-core machine


@contextlib.asynccontextmanager
async def shard_bot(server, sampler, tmp_path, database_url, shard_id, *, owner):
    settings = Settings(
        training_dir=tmp_path / "runs",
        workers=1,
        data_dir=tmp_path / "data",
        database_url=database_url,
        owner_ids=frozenset({owner}),
        training_data=SHORT_JOBS["training_data"],
        shard_count=2,
        shard_ids=(shard_id,),
        **ACCEPT_ANY,
    )
    database = await Database.open(database_url)
    try:
        with WorkerPool(workers=1, timeout_s=60) as pool:
            bot = build_bot(
                settings,
                pool=pool,
                database=database,
                load_sampler=lambda: sampler,
                training=replace(SHORT_JOBS["training"], follow_every_s=FOLLOW_S),
                guild_ready_timeout=GUILD_READY_TIMEOUT_S,
            )
            async with run_bot(bot, server, ready_timeout=30):
                yield bot
    finally:
        await database.close()


async def until(predicate, timeout: float) -> float:  # noqa: ASYNC109
    """Seconds until `predicate()` held; AssertionError after `timeout`."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def test_two_processes_start_training_at_once_one_runs_and_both_serve_its_model(
    sampler, tmp_path, postgres_database
):
    async with DiscordStandIn(shard_count=2) as server:
        first = server.world.move_guild_to_shard(server.world.guild, 0, 2)
        second = server.add_guild("Segundo", on_shard=(1, 2))
        owner = server.alice.id
        async with (
            shard_bot(server, sampler, tmp_path, postgres_database.url, 0, owner=owner) as a,
            shard_bot(server, sampler, tmp_path, postgres_database.url, 1, owner=owner) as b,
        ):
            await server.wait_until_connected()
            await server.syncs.wait_for(lambda sync: True, what="command sync")
            asks = await asyncio.gather(
                *(
                    server.inject_command("train start", {"epochs": 2, "seed": 1}, guild=guild)
                    for guild in (first, second)
                )
            )
            replies = await asyncio.gather(
                *(server.wait_for_reply(ix, lambda r: r.content, timeout=30) for ix in asks)
            )
            contents = sorted(reply.content for reply in replies)
            assert contents[0].startswith(f"A training job is already running: job #1, started by <@{owner}>")
            assert contents[1] == (
                "Training job #1 started (epochs: 2, seed: 1). Follow it with /train-status."
            )
            runners = [bot for bot in (a, b) if bot.get_cog("Training").supervisor.running is not None]
            assert len(runners) == 1
            winner = runners[0]
            other = b if winner is a else a

            job = await wait_for_job(winner, ended, timeout=JOB_TIMEOUT_S)
            assert (job.state, job.outcome) == ("finished", "swapped"), job.reason
            new_version = job.metrics["evaluation"]["version"]
            assert winner.sampler.version == new_version
            followed_in = await until(lambda: other.sampler.version == new_version, SWAP_BOUND_S)

            # The other process rolls back; the winner follows it.
            other_guild = second if other is b else first
            ix = await server.inject_command("model rollback", guild=other_guild)
            rolled = await server.wait_for_reply(ix, lambda r: r.content, timeout=60)
            assert rolled.content.startswith(f"Rolled back: VAE {sampler.version} serves again")
            assert other.sampler.version == sampler.version
            await until(lambda: winner.sampler.version == sampler.version, SWAP_BOUND_S)
            jobs = await winner.get_cog("Training").supervisor.jobs.running()
    assert jobs == []
    assert followed_in < SWAP_BOUND_S
    assert server.errors == []


async def test_a_database_that_goes_away_fails_only_the_commands_that_need_it(
    discord_server, start_bot, own_postgres_server
):
    async with start_bot(database_url=own_postgres_server.url()) as bot:
        status = await discord_server.inject_command("train-status")
        assert (await discord_server.wait_for_reply(status, lambda r: r.embeds)).embeds

        own_postgres_server.stop()
        refused = await discord_server.inject_command("train-status")
        reply = await discord_server.wait_for_reply(refused, lambda r: r.content, timeout=15)
        assert reply.ephemeral and reply.content == english("database_unavailable")
        spanish = await discord_server.inject_command("train-status", user=discord_server.bob)
        reply = await discord_server.wait_for_reply(spanish, lambda r: r.content, timeout=15)
        assert reply.content.startswith("No se puede acceder a la base de datos del bot")
        digit = await discord_server.inject_command("digit", {"digit": 5, "count": 1})
        assert (await discord_server.wait_for_reply(digit, lambda r: r.files, timeout=30)).files

        own_postgres_server.start()
        back = await discord_server.inject_command("train-status")
        assert (await discord_server.wait_for_reply(back, lambda r: r.embeds, timeout=15)).embeds
        assert bot.database is not None
