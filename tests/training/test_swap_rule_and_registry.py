"""The swap rule's verdicts, and the registry's states through promotions and a rollback."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.features.training.embeds import progress_bar
from bot.interactions.i18n import text
from bot.storage import Database
from bot.storage.schema import ModelVersion
from bot.training.registry import ARCHIVED, PREVIOUS, REJECTED, SERVING, ModelRegistry
from bot.training.spec import Evaluation
from bot.training.swap import judge


def evaluation(*, elbo: float, serving: float, fidelity: float) -> Evaluation:
    return Evaluation(
        version="vae2d-new",
        negative_elbo=elbo,
        serving_version="vae2d-old",
        serving_negative_elbo=serving,
        fidelity=fidelity,
        worst_class=8,
        worst_class_fidelity=0.9,
        fidelity_samples=50,
    )


def test_a_model_within_both_thresholds_passes():
    assert judge(
        evaluation(elbo=101.5, serving=100.0, fidelity=0.99), max_elbo_increase=2.0, min_fidelity=0.98
    ).passed


def test_low_fidelity_is_refused_with_its_figures_in_both_languages():
    verdict = judge(
        evaluation(elbo=90.0, serving=100.0, fidelity=0.95), max_elbo_increase=2.0, min_fidelity=0.98
    )
    assert (verdict.passed, verdict.reason) == (False, "train_reject_fidelity")
    assert text(verdict.reason, "en", **verdict.params) == (
        "only 95.0% of its digits are read as the digit asked for (at least 98.0% needed; worst: 8 at 90%)."
    )
    assert "95.0%" in text(verdict.reason, "es", **verdict.params)


def test_a_worse_elbo_than_allowed_is_refused():
    verdict = judge(
        evaluation(elbo=103.0, serving=100.0, fidelity=1.0), max_elbo_increase=2.0, min_fidelity=0.98
    )
    assert (verdict.passed, verdict.reason) == (False, "train_reject_elbo")
    assert verdict.params["increase"] == "3.0"


def test_the_progress_bar_fills_with_the_epochs():
    assert progress_bar(0, 4, "en", width=4) == "`▱▱▱▱` 0%"
    assert progress_bar(3, 4, "en", width=4) == "`▰▰▰▱` 75%"
    assert progress_bar(9, 4, "en", width=4) == "`▰▰▰▰` 100%"
    assert progress_bar(3, 4, "es", width=4) == "`▰▰▰▱` 75\N{NO-BREAK SPACE}%"  # as Spanish writes it


@pytest.mark.asyncio
async def test_promotions_keep_one_serving_model_and_rollback_returns_to_the_previous(tmp_path, database_url):
    database = await Database.open(database_url)
    registry = ModelRegistry(database, tmp_path / "models")
    card = {"training": {"epochs_run": 2, "seed": 0}, "data": {"train_size": 540}}
    await registry.adopt("shipped", card, path=None)
    await registry.adopt("shipped", card, path=None)  # a restart: nothing changes
    await registry.promote(
        "v1", path=tmp_path / "v1", card=card, job_id=None, negative_elbo=120.0, fidelity=0.99
    )
    await registry.reject(
        "v2", path=tmp_path / "v2", card=card, job_id=None, reason="x", negative_elbo=300.0, fidelity=0.5
    )
    await registry.promote(
        "v3", path=tmp_path / "v3", card=card, job_id=None, negative_elbo=110.0, fidelity=0.99
    )
    states = {v: (await registry.find(v)).state for v in ("shipped", "v1", "v2", "v3")}
    assert states == {"shipped": ARCHIVED, "v1": PREVIOUS, "v2": REJECTED, "v3": SERVING}
    now_serving, rolled_back = await registry.rollback()
    assert (now_serving.version, rolled_back.version) == ("v1", "v3")
    assert (await registry.find("v3")).state == ARCHIVED
    assert await registry.rollback() is None  # nothing before v1 to go back to
    assert (await registry.serving()).version == "v1"
    await database.close()


@pytest.mark.asyncio
async def test_processes_adopting_their_model_at_once_leave_one_serving_row(tmp_path, postgres_database):
    """Shard processes starting together on one PostgreSQL database each adopt the model they
    loaded. (SQLite is one process's database: nothing to race there.)"""
    databases = [await Database.open(postgres_database.url) for _ in range(3)]
    card = {"training": {"epochs_run": 2, "seed": 0}, "data": {"train_size": 540}}
    registries = [ModelRegistry(database, tmp_path / "models") for database in databases]
    await asyncio.gather(*(registry.adopt("shipped", card, path=None) for registry in registries))
    assert (await registries[0].serving()).version == "shipped"
    async with databases[0].session() as session:
        rows = (await session.scalars(select(ModelVersion))).all()
    assert [(row.version, row.state) for row in rows] == [("shipped", SERVING)]
    for database in databases:
        await database.close()
