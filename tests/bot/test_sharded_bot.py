"""ShardedGenAIBot over two gateway shards of the loopback Discord, answering /digit.

The stand-in says the bot needs two shards (GET /gateway/bot); discord.py then opens one
websocket per shard, and Discord sends a guild's events only to the shard that owns it
(guild_id >> 22) % shard_count. The guild is put on shard 1 so that an interaction reaching
the bot proves it went to the second shard, not just the first one to connect.
"""

from __future__ import annotations

import pytest

from bot.client import ShardedGenAIBot
from bot.settings import Settings
from bot.worker_pool import WorkerPool
from genai_models.imaging import grid_size
from tests.fakes.discord_server import GUILD_READY_TIMEOUT_S, DiscordStandIn, run_bot
from tests.helpers import image_of

SHARDS = 2
GUILD_SHARD = 1
# discord.py waits 5 s before identifying every shard after the first (Discord's rule).
READY_TIMEOUT_S = 30.0


def put_guild_on_shard(server: DiscordStandIn, shard_id: int) -> None:
    """Give the guild new ids on `shard_id` (before anyone connects)."""
    server.world.move_guild_to_shard(server.world.guild, shard_id, SHARDS)


@pytest.mark.asyncio
async def test_sharded_bot_asks_for_its_shards_and_answers_digit_on_the_guilds_shard(sampler, tmp_path):
    async with DiscordStandIn(shard_count=SHARDS) as server:
        put_guild_on_shard(server, GUILD_SHARD)
        settings = Settings(dev_guild_id=server.guild_id, training_dir=tmp_path, workers=1)
        with WorkerPool(workers=1, timeout_s=30) as pool:
            bot = ShardedGenAIBot(
                settings=settings,
                pool=pool,
                load_sampler=lambda: sampler,
                guild_ready_timeout=GUILD_READY_TIMEOUT_S,
            )
            async with run_bot(bot, server, ready_timeout=READY_TIMEOUT_S):
                assert bot.shard_count == SHARDS  # taken from /gateway/bot, not configured
                assert sorted(bot.shards) == [0, 1]
                guild = bot.get_guild(server.guild_id)
                assert guild is not None and guild.shard_id == GUILD_SHARD

                ix = await server.inject_command("digit", {"digit": 7, "count": 4, "seed": 3})
                deferred = await ix.wait_for_callback()
                reply = await ix.wait_for_reply(lambda r: r.files, timeout=30)

    assert [r.path for r in server.requests.items].count("/gateway/bot") == 1
    assert sorted(tuple(s.identify["shard"]) for s in server.sessions) == [(0, 2), (1, 2)]
    owner = next(s for s in server.sessions if s.owns_guild())
    assert owner.shard == (GUILD_SHARD, SHARDS)
    assert "INTERACTION_CREATE" in [name for _, _, name in owner.sent]
    assert deferred.elapsed < 3.0
    picture = image_of(reply.files[0].data)
    assert reply.files[0].filename == "digits.png"
    assert picture.format == "PNG" and picture.size == grid_size(4)
    assert server.synced_commands(server.guild_id)  # synced once, by the bot, not per shard
    assert server.errors == [] and server.unhandled == []
