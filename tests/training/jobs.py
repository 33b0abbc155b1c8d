"""Shared by the training-from-chat tests: settings for short jobs, and waiting on jobs."""

from __future__ import annotations

import asyncio
import time

from bot.training.supervisor import TrainingOptions
from tests.helpers import MNIST_SLICE

JOB_TIMEOUT_S = 300.0  # a two-epoch job on the 600-digit fixture, on a busy two-core machine
POLL_S = 0.2

# The tests' bots: the 600-digit fixture, quick polling, and alice (the stand-in's default user)
# among the owners is set per test.
SHORT_JOBS = {"training_data": MNIST_SLICE, "training": TrainingOptions(poll_s=POLL_S)}
ACCEPT_ANY = {"swap_max_elbo_increase": 1000.0, "swap_min_fidelity": 0.0, "swap_max_digit_drop": 1.0}


async def wait_for_job(bot, predicate, *, timeout: float = JOB_TIMEOUT_S):  # noqa: ASYNC109
    """The latest job row once `predicate(job)` holds."""
    jobs = bot.get_cog("Training").supervisor.jobs
    deadline = time.monotonic() + timeout
    while True:
        job = await jobs.latest()
        if job is not None and predicate(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting for the job; last seen: "
                f"{job and (job.id, job.state, job.epoch, job.reason)}"
            )
        await asyncio.sleep(POLL_S)


def ended(job) -> bool:
    return job.state != "running"
