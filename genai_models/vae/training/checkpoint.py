"""Resumable checkpoints: weights + optimizer state, and beside them the meta that says what
they are (epoch, config with seed and precision, data fingerprint, status).

Keras's own `ModelCheckpoint(save_weights_only=True)` writes the weights and AdamW's state at
every epoch's end, to a pending file; `commit_checkpoint` then renames it to a name of its epoch
and writes the meta that points to it, atomically. The meta is the commit: until it is replaced,
it still names the previous epoch's weights file, so a Ctrl-C or crash at any moment leaves a
checkpoint whose weights and meta agree.
(ModelCheckpoint, not BackupAndRestore: resume must refuse another seed, precision or data set
before it loads anything, and BackupAndRestore restores unasked and deletes its backup at the end.)
A failed write raises out of `fit`, so the run is reported failed rather than losing epochs.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genai_models.errors import TrainingError
from genai_models.vae.files import require_free_space, write_json_atomic

if TYPE_CHECKING:
    from genai_models.vae.backend import keras
    from genai_models.vae.model import VAE
    from genai_models.vae.training.status import TrainingStatus
    from genai_models.vae.training.trainer import TrainingConfig

CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_META = "state.json"
LEGACY_WEIGHTS = "state.weights.h5"  # the one weights file of checkpoints whose meta names none
PENDING_WEIGHTS = ".pending.weights.h5"  # what ModelCheckpoint writes; renamed once complete


def weights_checkpoint(out_dir: Path) -> keras.callbacks.ModelCheckpoint:
    """The Keras callback that saves weights + optimizer state to the pending file each epoch,
    after checking that they fit on the disk (see `require_free_space`)."""
    from genai_models.vae.backend import keras

    folder = out_dir / CHECKPOINT_DIR
    pending = str(folder / PENDING_WEIGHTS)

    class SpaceCheckedCheckpoint(keras.callbacks.ModelCheckpoint):
        def on_epoch_end(self, epoch, logs=None):
            folder.mkdir(parents=True, exist_ok=True)
            require_free_space(folder, weights_bytes(self.model, optimizer=True), "the training checkpoint")
            super().on_epoch_end(epoch, logs)

    # ModelCheckpoint formats its path with str.format: braces in a folder name stay literal.
    return SpaceCheckedCheckpoint(
        pending.replace("{", "{{").replace("}", "}}"), monitor="loss", save_weights_only=True
    )


def weights_bytes(model, *, optimizer: bool) -> int:
    """About what saving `model`'s weights (and its optimizer's state) takes on disk."""
    variables = list(model.weights)
    if optimizer and model.optimizer is not None:
        variables += list(model.optimizer.variables)
    payload = sum(int(v.numpy().nbytes) for v in variables)
    return int(payload * 1.2) + (1 << 20)  # HDF5's own structures, and room to breathe


def commit_checkpoint(out_dir: Path, meta: dict[str, Any]) -> None:
    """Keep the weights `weights_checkpoint` just wrote under their epoch's name, then write
    `meta` naming them; only then remove the weights of earlier epochs."""
    folder = out_dir / CHECKPOINT_DIR
    weights = f"state-epoch{int(meta['epoch']):04d}.weights.h5"
    os.replace(folder / PENDING_WEIGHTS, folder / weights)
    write_json_atomic(folder / CHECKPOINT_META, {**meta, "weights": weights})
    for stale in folder.glob("*.weights.h5"):
        if stale.name not in (weights, PENDING_WEIGHTS):
            stale.unlink(missing_ok=True)


def checkpoint_weights_path(out_dir: Path, meta: dict[str, Any]) -> Path:
    """The weights file that `meta` (from read_checkpoint_meta) belongs with."""
    return out_dir / CHECKPOINT_DIR / meta.get("weights", LEGACY_WEIGHTS)


def checkpoint_meta(
    epoch: int, config: TrainingConfig, fingerprint: str, status: TrainingStatus
) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "config": asdict(config),
        "data_fingerprint": fingerprint,
        "status": status.to_json(),
    }


@dataclass(frozen=True)
class ResumePlan:
    """How to continue the run in a folder: its own data, epochs, seed and settings, unless
    the caller asked otherwise."""

    data: Path | None  # None: MNIST through keras.datasets
    config: dict[str, Any]  # TrainingConfig's fields
    epoch: int  # the last finished epoch


def plan_resume(out_dir: Path, **overrides: Any) -> ResumePlan:
    """The checkpoint's run, with `overrides` (TrainingConfig fields; None = keep) applied.

    Refuses a plan that could not train: fewer epochs than already done, or a finished run
    asked for no more epochs than it had.
    """
    from genai_models.vae.training.data import KERAS_MNIST
    from genai_models.vae.training.status import TrainingStatus

    meta = read_checkpoint_meta(out_dir)
    epoch = int(meta["epoch"])
    config = {"precision": "float32", **meta.get("config", {})}  # see trainer._restore
    config |= {key: value for key, value in overrides.items() if value is not None}
    status = TrainingStatus.from_json(meta["status"]) if "status" in meta else None
    source = status.data_source if status else None
    if config["epochs"] < epoch:
        raise TrainingError(
            f"Cannot resume: the run in {out_dir} already trained {epoch} epochs; ask for {epoch} or more"
        )
    if config["epochs"] == epoch and _finished(out_dir):
        raise TrainingError(
            f"The run in {out_dir} already finished all {epoch} epochs: ask for "
            "more epochs to train it further"
        )
    return ResumePlan(
        data=None if source in (None, KERAS_MNIST) else Path(source), config=config, epoch=epoch
    )


def _finished(out_dir: Path) -> bool:
    from genai_models.vae.training.status import read_status

    status = read_status(out_dir)
    return status is not None and status.state == "finished"


def has_checkpoint(out_dir: Path) -> bool:
    """A checkpoint was committed in `out_dir` (at least one epoch finished there)."""
    return (Path(out_dir) / CHECKPOINT_DIR / CHECKPOINT_META).is_file()


def interruption_message(out_dir: Path, epoch: int) -> str:
    """What an interrupted run's status says: whether there is anything to resume."""
    if not has_checkpoint(out_dir):
        return "stopped before the first epoch ended: nothing to resume yet"
    return f"stopped after epoch {epoch}; it can be resumed from there"


def read_checkpoint_meta(out_dir: Path) -> dict[str, Any]:
    folder = out_dir / CHECKPOINT_DIR
    try:
        return json.loads((folder / CHECKPOINT_META).read_text())
    except FileNotFoundError:
        raise TrainingError(f"Nothing to resume in {out_dir} yet: no epoch finished there") from None
    except (OSError, ValueError) as exc:
        raise TrainingError(f"Checkpoint in {folder} is unreadable ({exc})") from exc


def load_checkpoint_weights(vae: VAE, out_dir: Path, meta: dict[str, Any]) -> None:
    path = checkpoint_weights_path(out_dir, meta)
    try:
        vae.load_weights(path)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"Checkpoint weights {path} are unreadable ({exc})") from exc
