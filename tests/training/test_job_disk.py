"""A job whose folder is full or read-only fails with a clear reason: the trainer does not
crash, no temporary files stay behind, and the serving model is untouched.

The full disk is a real one: a small tmpfs mounted over the jobs folder (the tests run as root,
as CI does), because HDF5's failure on a full disk, a crash of the whole process, only shows
on a real one.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from bot.features.training.embeds import without_paths
from tests.training.jobs import SHORT_JOBS, ended, wait_for_job
from tests.training.test_train_from_chat import command, fields

pytestmark = pytest.mark.asyncio

# Room for the job's small files (job.json, status.json, its log), not for a checkpoint.
TMPFS_SIZE = "1500k"


@contextlib.contextmanager
def small_disk(folder: Path, *, read_only: bool = False):
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={TMPFS_SIZE}" + (",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def leftovers(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"
    )


@pytest.mark.slow
async def test_a_full_disk_fails_the_job_with_a_clear_reason_and_leaves_nothing_behind(
    discord_server, start_bot, sampler, tmp_path
):
    data_dir = tmp_path / "data"
    with small_disk(data_dir / "jobs") as jobs:
        async with start_bot(
            data_dir=data_dir, owner_ids=frozenset({discord_server.alice.id}), **SHORT_JOBS
        ) as bot:
            await command(discord_server, "train start", {"epochs": 2})
            job = await wait_for_job(bot, ended)
            assert (job.state, job.reason) == ("failed", "train_reason_failed")
            detail = job.metrics["reason_params"]["detail"]
            assert detail.startswith("not enough disk space for the training checkpoint in ")
            assert bot.sampler is sampler
            reply = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
            assert fields(reply)["State"] == "failed"
            # Public: the diagnostic without the server's paths.
            assert fields(reply)["Outcome"] == f"Training failed: {without_paths(detail)}"
            assert str(tmp_path) not in fields(reply)["Outcome"]
        assert leftovers(jobs) == []
        assert not (jobs / "job-0001" / "vae.keras").exists()


async def test_a_read_only_jobs_folder_refuses_to_start_with_the_reason(
    discord_server, start_bot, sampler, tmp_path
):
    data_dir = tmp_path / "data"
    with small_disk(data_dir / "jobs", read_only=True):
        async with start_bot(
            data_dir=data_dir, owner_ids=frozenset({discord_server.alice.id}), **SHORT_JOBS
        ) as bot:
            reply = await command(discord_server, "train start", {"epochs": 2})
            assert reply.ephemeral
            assert reply.content.startswith(
                "The training job could not start: Training failed: Read-only file system"
            )
            job = await bot.get_cog("Training").supervisor.jobs.latest()
            assert job.state == "failed" and bot.get_cog("Training").supervisor.running is None
            assert bot.sampler is sampler
