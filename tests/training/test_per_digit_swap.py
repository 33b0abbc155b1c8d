"""The swap rule's per-digit check through the loopback Discord, with a real two-epoch job: a
model whose worst digit falls below the serving model's worst digit is kept aside, and
/train-status names that digit, in English and Spanish."""

from __future__ import annotations

import re

import pytest

from tests.training.jobs import SHORT_JOBS, ended, wait_for_job
from tests.training.test_train_from_chat import command, fields

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

# Every other check passes; no digit may fall below the serving model's worst at all. A
# two-epoch model of 600 digits draws some digit worse than the shipped model's worst.
PER_DIGIT_ONLY = {"swap_max_elbo_increase": 1000.0, "swap_min_fidelity": 0.0, "swap_max_digit_drop": 0.0}


async def test_a_model_worse_at_a_digit_is_rejected_and_train_status_names_the_digit(
    discord_server, start_bot, sampler
):
    alice = discord_server.alice
    async with start_bot(owner_ids=frozenset({alice.id}), **SHORT_JOBS, **PER_DIGIT_ONLY) as bot:
        await command(discord_server, "train start", {"epochs": 2, "seed": 1})
        job = await wait_for_job(bot, ended)
        assert (job.state, job.outcome) == ("finished", "rejected"), job.reason
        assert job.reason in ("train_reject_digit_fidelity", "train_reject_digit_recall")
        assert bot.sampler is sampler  # the serving model is untouched
        evaluation = job.metrics["evaluation"]
        worst = evaluation["fairness"]["worst_digit"]
        status = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
        espanol = await command(
            discord_server, "train-status", predicate=lambda r: r.embeds, user=discord_server.bob
        )
    outcome = fields(status)["Outcome"]
    named = re.search(r"its digit (\d) ", outcome)
    assert named, outcome
    measure = job.reason.rsplit("_", 1)[1]
    assert int(named.group(1)) == worst[measure]  # the new model's worst digit on that measure
    assert f"su dígito {named.group(1)} " in fields(espanol)["Resultado"]
