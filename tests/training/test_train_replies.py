"""What /train and /train-status say: data checked before "started", no server path in a
public message, a Spanish reply wholly in Spanish, and who cancelled when two admins do."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.settings import Settings
from bot.storage import Database, settings_url
from bot.training.job_store import JobStore
from genai_models.vae.training.status import TrainingStatus, now_iso, write_status
from tests.training.jobs import SHORT_JOBS, ended, wait_for_job
from tests.training.test_train_from_chat import command, fields

pytestmark = pytest.mark.asyncio

SECRET_DIR = "/srv/genai-private/datasets"


async def test_train_start_checks_its_data_before_saying_it_started(discord_server, start_bot, tmp_path):
    alice, bob = discord_server.alice, discord_server.bob
    missing = tmp_path / "nowhere" / "digits.npz"
    async with start_bot(
        owner_ids=frozenset({alice.id, bob.id}), training_data=missing, training=SHORT_JOBS["training"]
    ) as bot:
        english = await command(discord_server, "train start", {"epochs": 2})
        spanish = await command(discord_server, "train start", {"epochs": 2}, user=bob)
        assert await bot.get_cog("Training").supervisor.jobs.latest() is None  # nothing started
    assert english.ephemeral and english.content.startswith("The training data can't be read")
    assert spanish.ephemeral and spanish.content.startswith("No se pueden leer los datos")
    assert str(tmp_path) not in english.content + spanish.content


async def _a_failed_job(data_dir) -> None:
    """A job that failed on a missing data file, as the trainer and the supervisor record it."""
    job_dir = data_dir / "jobs" / "job-0001"
    detail = f"Data file not found: {SECRET_DIR}/digits.npz"
    write_status(
        job_dir,
        TrainingStatus(
            state="failed",
            epoch=0,
            total_epochs=2,
            started_at=now_iso(),
            updated_at=now_iso(),
            message=f"Training failed: {detail}",
        ),
    )
    database = await Database.open(settings_url(Settings(data_dir=data_dir)))
    jobs = JobStore(database)
    job = await jobs.create(
        started_by=7,
        guild_id=None,
        channel_id=None,
        parameters={"epochs": 2, "seed": 0, "data": None},
        total_epochs=2,
        job_dir=str(job_dir),
    )
    await jobs.end(job.id, "failed", reason="train_reason_failed", reason_params={"detail": detail})
    await database.close()


async def test_train_status_shows_no_server_path_and_a_spanish_reply_is_all_spanish(
    discord_server, start_bot, tmp_path
):
    data_dir = tmp_path / "data"
    await _a_failed_job(data_dir)
    async with start_bot(data_dir=data_dir):
        english = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
        spanish = await command(
            discord_server, "train-status", predicate=lambda r: r.embeds, user=discord_server.bob
        )
    for reply in (english, spanish):
        shown = json.dumps(reply.embeds, ensure_ascii=False)
        assert SECRET_DIR not in shown and str(tmp_path) not in shown
    assert fields(english)["Outcome"] == "Training failed: Data file not found: digits.npz"
    assert fields(english)["Note"] == "Training failed: Data file not found: digits.npz"
    assert fields(spanish)["Resultado"] == "El entrenamiento falló; el registro del bot tiene los detalles."
    assert "Nota" not in fields(spanish)  # the trainer's English note stays out
    assert not any(word in json.dumps(spanish.embeds) for word in ("Training", "failed", "found"))


@pytest.mark.slow
async def test_two_admins_cancelling_at_once_are_told_who_stopped_it(discord_server, start_bot):
    alice, bob = discord_server.alice, discord_server.bob
    async with start_bot(owner_ids=frozenset({alice.id, bob.id}), **SHORT_JOBS) as bot:
        await command(discord_server, "train start", {"epochs": 2})
        presses = await asyncio.gather(
            discord_server.inject_command("train cancel", user=alice),
            discord_server.inject_command("train cancel", user=bob),
        )
        answers = [await discord_server.wait_for_reply(ix, lambda r: r.content) for ix in presses]
        job = await wait_for_job(bot, ended, timeout=60)
    stopping = ("Stopping training job #1", "Deteniendo el trabajo de entrenamiento n.º 1")
    stopped_by = [
        ix.user
        for ix, answer in zip(presses, answers, strict=True)
        # either may get there first: alice reads English, bob Spanish
        if answer.content.startswith(stopping)
    ]
    assert len(stopped_by) == 1, [a.content for a in answers]
    first = stopped_by[0]
    told = next(a for ix, a in zip(presses, answers, strict=True) if ix.user is not first)
    assert told.ephemeral
    expected = {
        alice.id: f"Training job #1 is already being stopped by <@{first.id}>.",
        bob.id: f"<@{first.id}> ya está deteniendo el trabajo de entrenamiento n.º 1.",
    }
    assert told.content == expected[next(ix.user.id for ix in presses if ix.user is not first)]
    assert job.metrics["reason_params"] == {"user": f"<@{first.id}>"}
