"""Two `genai-bot run` shard processes share one bot: each serves its own shard's guild.

The stand-in holds two guilds, one on each of two shards; process A runs shard 0, process B
shard 1, as two machines (or two containers) would. Discord sends a guild's interactions only
to the shard that owns it, so each /digit must be answered by the process holding that shard,
and the commands are published once, by the process holding shard 0.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.storage import Database
from bot.storage.cluster import ShardClaim
from genai_models.imaging import grid_size
from tests.fakes.discord_server import DiscordStandIn
from tests.helpers import image_of
from tests.shard_processes import (
    ENTRY_VIA_STAND_IN,
    bot_environment,
    start_shard_process,
    until_serving,
)


@pytest.mark.asyncio
@pytest.mark.slow
async def test_two_shard_processes_each_answer_their_own_guild_and_only_shard_0_syncs(
    tmp_path, postgres_database
):
    shared = {"GENAI_DATABASE_URL": postgres_database.url}
    async with DiscordStandIn(shard_count=2) as server:
        first = server.world.move_guild_to_shard(server.world.guild, 0, 2)
        second = server.add_guild("Segundo", locale="es-ES", on_shard=(1, 2))
        processes = [
            await start_shard_process(server, shard_ids=ids, shard_count=2, workdir=tmp_path, env=shared)
            for ids in ("0", "1")
        ]
        try:
            await until_serving(server, processes)
            # Two users: one user's two /digit would meet the cooldown the processes share.
            asks = [
                await server.inject_command(
                    "digit", {"digit": d, "count": 4, "seed": 1}, guild=guild, user=user
                )
                for d, guild, user in ((3, first, server.alice), (8, second, server.bob))
            ]
            replies = await asyncio.gather(
                *(server.wait_for_reply(ix, lambda r: r.files, timeout=60) for ix in asks)
            )
        finally:
            codes = [await p.stop() for p in processes]
        logs = [p.log for p in processes]

    assert codes == [0, 0], logs
    sessions = {tuple(s.identify["shard"]): s for s in server.sessions}
    assert sorted(sessions) == [(0, 2), (1, 2)] and len(server.sessions) == 2
    for ix, reply, guild in zip(asks, replies, (first, second), strict=True):
        owner = sessions[(guild.shard(2), 2)]
        assert any(name == "INTERACTION_CREATE" and at >= ix.sent_at for at, _, name in owner.sent)
        assert reply.message["guild_id"] == str(guild.id)
        assert image_of(reply.files[0].data).size == grid_size(4)
    # Each INTERACTION_CREATE went to exactly one session, the owner's.
    counts = {shard: [n for _, _, n in s.sent].count("INTERACTION_CREATE") for shard, s in sessions.items()}
    assert counts == {(0, 2): 1, (1, 2): 1}
    assert [scope for scope, _ in server.syncs.items] == [None]  # once, globally
    assert "synced" in logs[0] and "global commands" in logs[0]
    assert "synced" not in logs[1]
    assert "the process holding shard 0 publishes the commands" in logs[1]
    assert "Traceback" not in logs[0] + logs[1]
    assert "shards 0 of 2 claimed in the database" in logs[0]
    assert "shards 1 of 2 claimed in the database" in logs[1]
    assert server.errors == [] and server.unhandled == []


async def run_refused(server: DiscordStandIn, env: dict[str, str], cwd) -> str:
    """`genai-bot run` that must stop at start-up: its one stderr line (exit code 2)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ENTRY_VIA_STAND_IN,
        "run",
        env=bot_environment(server, {"LOG_LEVEL": "WARNING"} | env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 90)
    assert (process.returncode, stdout) == (2, b""), stderr
    assert server.requests.items == []  # refused before anything reached Discord
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.asyncio
async def test_a_shard_id_outside_the_count_stops_start_up_with_one_line(tmp_path):
    async with DiscordStandIn() as server:
        line = await run_refused(server, {"SHARD_COUNT": "2", "SHARD_IDS": "1-2"}, tmp_path)
    assert line == (
        "genai-bot: configuration error: SHARD_IDS has shard 2, but with "
        "SHARD_COUNT=2 the shards are 0 to 1: raise SHARD_COUNT or fix SHARD_IDS"
    )


@pytest.mark.asyncio
async def test_shards_split_over_processes_on_sqlite_are_refused(tmp_path):
    async with DiscordStandIn() as server:
        line = await run_refused(server, {"SHARD_COUNT": "2", "SHARD_IDS": "1"}, tmp_path)
    assert line.startswith(
        "genai-bot: SHARD_IDS=1 runs 1 of SHARD_COUNT=2 shards, so other "
        "processes run the rest, and they must share one database server"
    )
    assert "GENAI_DATABASE_URL" in line


@pytest.mark.asyncio
async def test_a_shard_another_live_process_runs_is_refused(tmp_path, postgres_database):
    database = await Database.open(postgres_database.url)
    claim = await ShardClaim.take(database, 2, [1])  # as a running shard-1 process holds it
    try:
        async with DiscordStandIn() as server:
            line = await run_refused(
                server,
                {"SHARD_COUNT": "2", "SHARD_IDS": "0-1", "GENAI_DATABASE_URL": postgres_database.url},
                tmp_path,
            )
    finally:
        await claim.release()
        await database.close()
    assert line.startswith("genai-bot: shard 1 is already run by another process of this bot")
    assert line.endswith(
        "give each process its own SHARD_IDS (together they cover 0 to SHARD_COUNT-1, each shard once)"
    )
