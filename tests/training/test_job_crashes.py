"""Crash safety of jobs started from chat: kill -9 of the trainer, resume, a model that fails
its checks, cancel, and a job that died while no bot watched it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time

import pytest

from bot.settings import Settings
from bot.storage import Database, settings_url
from bot.training.job_store import JobStore
from bot.training.registry import REJECTED
from genai_models.vae.files import write_json_atomic
from genai_models.vae.training.checkpoint import CHECKPOINT_DIR, CHECKPOINT_META, read_checkpoint_meta
from genai_models.vae.training.status import TrainingStatus, now_iso, read_status, write_status
from tests.training.jobs import SHORT_JOBS, ended, wait_for_job
from tests.training.test_train_from_chat import command, fields

pytestmark = pytest.mark.asyncio

# The shipped model (trained for many epochs on 8,000 digits) scores far better than a
# three-epoch model of 600 digits: with no increase allowed, the new one must be kept aside.
STRICT = {"swap_max_elbo_increase": 0.0, "swap_min_fidelity": 0.0}


@pytest.mark.slow
async def test_kill_9_mid_epoch_is_interrupted_at_once_and_resuming_loses_only_that_epoch(
    discord_server, start_bot, sampler, tmp_path
):
    alice, bob = discord_server.alice, discord_server.bob
    async with start_bot(owner_ids=frozenset({alice.id}), **SHORT_JOBS, **STRICT) as bot:
        await command(discord_server, "train start", {"epochs": 3, "seed": 2})
        running = await wait_for_job(bot, lambda job: job.epoch >= 1 or ended(job))
        assert running.state == "running", running.reason
        pid = bot.get_cog("Training").supervisor.running.pid
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        job = await wait_for_job(bot, ended, timeout=10)
        assert time.monotonic() - killed_at < 5  # seen from the process, not the file
        assert (job.state, job.reason) == ("interrupted", "train_reason_killed")
        assert bot.sampler is sampler  # the serving model is untouched
        saved = read_checkpoint_meta(tmp_path / "data" / "jobs" / "job-0001")["epoch"]
        assert saved >= running.epoch  # every epoch that had finished is in the checkpoint

        status = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
        assert fields(status)["State"] == "interrupted"
        assert fields(status)["Outcome"] == (
            "The training process was killed (SIGKILL); its last saved epoch is kept."
        )
        assert fields(status)["Resume"].endswith("with /train start.")
        others = await command(discord_server, "train-status", user=bob, predicate=lambda r: r.embeds)
        assert "Reanudar" not in fields(others)  # resuming is offered to admins only

        # As a job interrupted before an upgrade that changed the defaults: it keeps its recipe.
        job_dir = tmp_path / "data" / "jobs" / "job-0001"
        meta = read_checkpoint_meta(job_dir)
        meta["config"] |= {"batch_size": 128, "learning_rate": 0.001}
        write_json_atomic(job_dir / CHECKPOINT_DIR / CHECKPOINT_META, meta)

        resumed = await command(discord_server, "train start")
        assert resumed.content == (
            f"Training job #2 resumes the interrupted run from epoch {saved} "
            "of 3 (seed 2). Follow it with /train-status."
        )
        job = await wait_for_job(bot, lambda job: job.id == 2 and ended(job))
        assert (job.state, job.outcome, job.reason) == ("finished", "rejected", "train_reject_elbo")
        assert job.resumed_from == 1
        assert bot.sampler is sampler

        final = read_status(tmp_path / "data" / "jobs" / "job-0001")
        assert final.epoch == 3 and len(final.history["loss"]) == 3  # no finished epoch redone
        card = json.loads((tmp_path / "data" / "jobs" / "job-0001" / "model_card.json").read_text())
        assert card["training"]["epochs"] == 3 and card["training"]["seed"] == 2
        assert (card["training"]["batch_size"], card["training"]["learning_rate"]) == (128, 0.001)

        version = job.metrics["evaluation"]["version"]
        row = await bot.get_cog("Training").supervisor.registry.find(version)
        assert row.state == REJECTED and (tmp_path / "data" / "models" / version / "vae.keras").is_file()
        shown = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
        assert fields(shown)["Outcome"].startswith(
            "The new model was kept aside, not served: its validation −ELBO of "
        )
        assert "nats worse than the serving model's" in fields(shown)["Outcome"]


async def test_cancel_stops_the_job_and_says_who(discord_server, start_bot, sampler):
    alice = discord_server.alice
    async with start_bot(owner_ids=frozenset({alice.id}), **SHORT_JOBS) as bot:
        nothing = await command(discord_server, "train cancel")
        assert nothing.content == "No training job is running." and nothing.ephemeral
        await command(discord_server, "train start", {"epochs": 2})
        cancelling = await command(discord_server, "train cancel")
        assert cancelling.content.startswith("Stopping training job #1")
        job = await wait_for_job(bot, ended, timeout=60)
        assert (job.state, job.reason) == ("cancelled", "train_reason_cancelled")
        assert job.metrics["reason_params"] == {"user": f"<@{alice.id}>"}
        assert bot.sampler is sampler
        status = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
        assert fields(status)["State"] == "cancelled"
        assert fields(status)["Outcome"] == f"Cancelled by <@{alice.id}>."


async def test_a_job_that_died_while_no_bot_ran_is_marked_interrupted_at_start_up(
    discord_server, start_bot, tmp_path
):
    data_dir = tmp_path / "data"
    job_dir = data_dir / "jobs" / "job-0001"
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()  # a real process that has ended: its pid runs nothing now
    status = TrainingStatus(
        state="running",
        epoch=4,
        total_epochs=10,
        started_at=now_iso(),
        updated_at=now_iso(),
        pid=gone.pid,
        process_token="1",
    )
    write_status(job_dir, status)
    database = await Database.open(settings_url(Settings(data_dir=data_dir)))
    await JobStore(database).create(
        started_by=7,
        guild_id=None,
        channel_id=None,
        parameters={"epochs": 10, "seed": 0, "data": None},
        total_epochs=10,
        job_dir=str(job_dir),
        pid=gone.pid,
    )
    await database.close()

    async with start_bot(data_dir=data_dir) as bot:
        job = await bot.get_cog("Training").supervisor.jobs.get(1)
        assert (job.state, job.reason, job.epoch) == ("interrupted", "train_reason_died_unwatched", 4)
        reply = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
    assert fields(reply)["State"] == "interrupted"
    assert fields(reply)["Epoch"] == "4 / 10"


async def test_a_malformed_training_data_file_is_refused_before_any_job_starts(
    discord_server, start_bot, sampler, tmp_path
):
    bad = tmp_path / "digits.npz"
    bad.write_bytes(b"these are not digits")
    async with start_bot(
        owner_ids=frozenset({discord_server.alice.id}), training_data=bad, training=SHORT_JOBS["training"]
    ) as bot:
        refused = await command(discord_server, "train start", {"epochs": 2})
        assert refused.ephemeral and refused.content.startswith("The training data can't be read")
        assert await bot.get_cog("Training").supervisor.jobs.latest() is None
        assert bot.sampler is sampler
