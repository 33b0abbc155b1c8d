"""The bot's own lifecycle around a job: a bot killed mid-training leaves the job running and
the next bot re-attaches to it; a bot that closes (SIGTERM, Ctrl-C) stops the job cleanly."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.settings import Settings
from bot.storage import Database, settings_url
from bot.training.job_store import JobStore
from genai_models.vae.training.checkpoint import has_checkpoint
from genai_models.vae.training.liveness import is_running
from genai_models.vae.training.status import read_status
from tests.cli.test_run import ENTRY_VIA_STAND_IN, stand_in_env, start_cli
from tests.helpers import MNIST_SLICE
from tests.training.jobs import SHORT_JOBS, wait_for_job
from tests.training.test_train_from_chat import command, fields

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


async def wait_for_epoch(job_dir, epoch: int, timeout: float = 240):  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        status = read_status(job_dir) if job_dir.exists() else None
        if status is not None and status.epoch >= epoch:
            return status
        assert status is None or status.state == "running", status
        assert time.monotonic() < deadline, f"no epoch {epoch} in {timeout} s: {status}"
        await asyncio.sleep(0.3)


async def test_a_bot_killed_mid_training_is_followed_by_one_that_reattaches_then_stops_it_cleanly(
    discord_server, start_bot, tmp_path
):
    alice = discord_server.alice
    data_dir = tmp_path / "data"
    job_dir = data_dir / "jobs" / "job-0001"
    env = stand_in_env(discord_server, discord_server.token) | {
        "GENAI_DATA_DIR": str(data_dir),
        "GENAI_OWNER_IDS": str(alice.id),
        "GENAI_TRAINING_DATA": str(MNIST_SLICE),
    }
    first_bot = await start_cli("run", env=env, cwd=tmp_path, entry=ENTRY_VIA_STAND_IN)
    try:
        await discord_server.wait_for_sync(discord_server.guild_id, timeout=120)
        await discord_server.wait_until_connected(timeout=60)
        started = await command(discord_server, "train start", {"epochs": 40}, timeout=30)
        assert started.content.startswith("Training job #1 started (epochs: 40")
        status = await wait_for_epoch(job_dir, 1)
    finally:
        first_bot.kill()  # a crash: no chance to stop anything
        await first_bot.wait()
    assert is_running(status.pid, status.process_token)  # the job outlived its bot

    async with start_bot(data_dir=data_dir, owner_ids=frozenset({alice.id}), **SHORT_JOBS) as bot:
        supervisor = bot.get_cog("Training").supervisor
        assert supervisor.running is not None and supervisor.running.pid == status.pid
        seen = await wait_for_job(bot, lambda job: job.epoch > status.epoch)
        assert seen.state == "running"  # followed: its progress reaches the new bot's database
        reply = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
        assert fields(reply)["State"] == "running"
        assert fields(reply)["Job"].startswith(f"#1, started by <@{alice.id}>")
        busy = await command(discord_server, "train start")
        assert busy.content.startswith("A training job is already running: job #1")
    # This bot closed as SIGTERM closes it: the job was stopped at a clean point.
    assert not is_running(status.pid, status.process_token)
    assert has_checkpoint(job_dir)
    assert read_status(job_dir).state == "interrupted"
    database = await Database.open(settings_url(Settings(data_dir=data_dir)))
    job = await JobStore(database).get(1)
    await database.close()
    assert (job.state, job.reason) == ("interrupted", "train_reason_bot_stopped")
