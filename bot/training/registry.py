"""The model registry: every model the bot has served or refused, its files and its state.

Rows live in model_versions; files of trained models under DATA_DIR/models/<version>/. A row
with no path is the configured model (the shipped weights, or GENAI_MODEL_DIR). States:
serving (one at a time), previous (what /model rollback returns to), rejected, archived.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.storage import Database
from bot.storage.cluster import serialize_transaction
from bot.storage.schema import ModelVersion, utc_now
from genai_models.vae.serving.card import CARD_FILE, files_of
from genai_models.vae.training.fairness import REPORT_FILE

SERVING, PREVIOUS, REJECTED, ARCHIVED = "serving", "previous", "rejected", "archived"
# Every process of a cluster changes the registry (start-up adopts, swaps, rollbacks): one at a
# time, so two starting together cannot both insert the shipped model's row.
REGISTRY_LOCK = "model-registry"


def card_summary(card: dict[str, Any]) -> dict[str, Any]:
    """What /model shows of a model card, without its bulky parts."""
    training = card.get("training", {})
    validation = card.get("validation", {})
    return {
        "created_at": card.get("created_at"),
        "data": card.get("data", {}).get("source"),
        "train_size": card.get("data", {}).get("train_size"),
        "epochs": training.get("epochs_run", training.get("epochs")),
        "seed": training.get("seed"),
        "negative_elbo": validation.get("negative_elbo_nats"),
    }


def install_files(job_dir: Path, models_dir: Path, version: str) -> Path:
    """Copy a job's served files into the registry, all or none (blocking: run it off the loop)."""
    target = models_dir / version
    if (target / CARD_FILE).is_file():
        return target  # installed before (a retried swap)
    staging = models_dir / f".{version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True)
        for name in (*files_of(job_dir), CARD_FILE):
            shutil.copy2(job_dir / name, staging / name)
        if (job_dir / REPORT_FILE).is_file():  # the per-digit report the card references
            shutil.copy2(job_dir / REPORT_FILE, staging / REPORT_FILE)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


class ModelRegistry:
    def __init__(self, database: Database, models_dir: Path) -> None:
        self.database = database
        self.models_dir = models_dir

    async def in_state(self, state: str) -> ModelVersion | None:
        async with self.database.session() as session:
            return await session.scalar(
                select(ModelVersion)
                .where(ModelVersion.state == state)
                .order_by(ModelVersion.state_changed_at.desc(), ModelVersion.id.desc())
                .limit(1)
            )

    async def serving(self) -> ModelVersion | None:
        return await self.in_state(SERVING)

    async def previous(self) -> ModelVersion | None:
        return await self.in_state(PREVIOUS)

    async def find(self, version: str) -> ModelVersion | None:
        async with self.database.session() as session:
            return await session.scalar(select(ModelVersion).where(ModelVersion.version == version))

    async def serving_path(self) -> Path | None:
        """The folder of the serving model, when it is one the registry holds."""
        serving = await self.serving()
        return Path(serving.path) if serving is not None and serving.path else None

    async def adopt(self, version: str, card: dict[str, Any], path: Path | None) -> ModelVersion:
        """Record the model the bot loaded at start-up as serving (a no-op when it is)."""
        current = await self.serving()
        if current is not None and current.version == version:
            return current
        return await self._make_serving(
            version,
            path=path,
            card=card,
            job_id=None,
            scores={"validation_negative_elbo": card.get("validation", {}).get("negative_elbo_nats")},
        )

    async def promote(
        self,
        version: str,
        *,
        path: Path,
        card: dict[str, Any],
        job_id: int,
        negative_elbo: float,
        fidelity: float,
    ) -> ModelVersion:
        """A checked model serves; the one it replaces becomes the previous."""
        return await self._make_serving(
            version,
            path=path,
            card=card,
            job_id=job_id,
            scores={"validation_negative_elbo": negative_elbo, "fidelity": fidelity},
        )

    async def reject(
        self,
        version: str,
        *,
        path: Path | None,
        card: dict[str, Any] | None,
        job_id: int,
        reason: str,
        negative_elbo: float | None,
        fidelity: float | None,
    ) -> ModelVersion:
        async with self.database.session.begin() as session:
            row = await session.scalar(select(ModelVersion).where(ModelVersion.version == version))
            if row is None:
                row = ModelVersion(version=version, path=str(path or ""))
                session.add(row)
            row.card_summary = card_summary(card or {})
            row.created_by_job, row.state, row.reason = job_id, REJECTED, reason
            row.validation_negative_elbo, row.fidelity = negative_elbo, fidelity
            row.state_changed_at = utc_now()
        return row

    async def rollback(self) -> tuple[ModelVersion, ModelVersion] | None:
        """The previous model serves again; the one it replaces is archived. None: no previous."""
        async with self.database.session.begin() as session:
            await serialize_transaction(session, REGISTRY_LOCK)
            previous = await session.scalar(
                select(ModelVersion).where(ModelVersion.state == PREVIOUS).limit(1)
            )
            serving = await session.scalar(select(ModelVersion).where(ModelVersion.state == SERVING).limit(1))
            if previous is None or serving is None:
                return None
            now = utc_now()
            serving.state, serving.reason, serving.state_changed_at = ARCHIVED, "rolled back", now
            previous.state, previous.state_changed_at = SERVING, now
        return previous, serving

    async def _make_serving(
        self,
        version: str,
        *,
        path: Path | None,
        card: dict[str, Any],
        job_id: int | None,
        scores: dict[str, float | None],
    ) -> ModelVersion:
        async with self.database.session.begin() as session:
            await serialize_transaction(session, REGISTRY_LOCK)
            now = utc_now()
            for old in await session.scalars(
                select(ModelVersion).where(ModelVersion.state.in_((SERVING, PREVIOUS)))
            ):
                old.state = PREVIOUS if old.state == SERVING else ARCHIVED
                old.state_changed_at = now
            row = await session.scalar(select(ModelVersion).where(ModelVersion.version == version))
            if row is None:
                row = ModelVersion(version=version)
                session.add(row)
            row.path = "" if path is None else str(path)
            row.card_summary = card_summary(card)
            row.created_by_job, row.state, row.reason, row.state_changed_at = job_id, SERVING, None, now
            for name, value in scores.items():
                setattr(row, name, value)
        return row
