"""`start_bot`: a real GenAIBot, on the real discord.py client, against the loopback Discord."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.app import build_bot
from bot.client import GenAIBot
from bot.fair_use.limits import FairUseLimits
from bot.settings import Settings
from bot.storage import Database, settings_url
from bot.training.supervisor import TrainingOptions
from bot.worker_pool import WorkerPool
from tests.fakes.discord_server import GUILD_READY_TIMEOUT_S, run_bot

# No cooldowns, and caps too high to reach: the worker pool alone decides what runs when.
NO_LIMITS = FairUseLimits(cooldowns_s={}, jobs_per_user=1000, model_concurrency=1000, queue_size=1000)


@pytest.fixture
def start_bot(discord_server, sampler, tmp_path) -> Callable[..., Any]:
    """`async with start_bot(**overrides) as bot:` runs a GenAIBot against the stand-in.

    Built by the composition root's `build_bot`, as `genai-bot run` builds it.
    Overrides: poet, load_sampler (default: the session's real sampler), workers,
    command_timeout_s, training_dir, data_dir (default: tmp_path / "data",
    where the bot's real SQLite database is created and migrated), training (TrainingOptions
    for the supervisor, e.g. a short poll_s), fair_use (default: NO_LIMITS, so tests of other features
    are not throttled; the fair-use tests pass their own), and any other `Settings` field as a
    keyword.
    """

    @contextlib.asynccontextmanager
    async def start(
        *,
        poet=None,
        load_sampler: Callable[[], Any] | None = lambda: sampler,
        workers: int = 2,
        command_timeout_s: float = 30.0,
        training_dir=None,
        fair_use: FairUseLimits = NO_LIMITS,
        data_dir=None,
        training: TrainingOptions | None = None,
        **settings_fields: Any,
    ) -> AsyncIterator[GenAIBot]:
        settings = Settings(
            # None publishes the commands globally: for tests that talk in several guilds.
            dev_guild_id=settings_fields.pop("dev_guild_id", discord_server.guild_id),
            training_dir=training_dir or tmp_path / "runs",
            workers=workers,
            command_timeout_s=command_timeout_s,
            fair_use=fair_use,
            data_dir=data_dir or tmp_path / "data",
            **settings_fields,
        )
        database = await Database.open(settings_url(settings))
        try:
            with WorkerPool(workers=workers, timeout_s=command_timeout_s) as pool:
                bot = build_bot(
                    settings,
                    pool=pool,
                    poet=poet,
                    database=database,
                    training=training,
                    load_sampler=load_sampler,
                    guild_ready_timeout=GUILD_READY_TIMEOUT_S,
                )
                async with run_bot(bot, discord_server):
                    yield bot
        finally:
            await database.close()

    return start
