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
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genai_models.errors import TrainingError
from genai_models.vae.files import write_json_atomic

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
    """The Keras callback that saves weights + optimizer state to the pending file each epoch."""
    from genai_models.vae.backend import keras

    pending = str(out_dir / CHECKPOINT_DIR / PENDING_WEIGHTS)
    # ModelCheckpoint formats its path with str.format: braces in a folder name stay literal.
    return keras.callbacks.ModelCheckpoint(pending.replace("{", "{{").replace("}", "}}"),
                                           monitor="loss", save_weights_only=True)


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


def checkpoint_meta(epoch: int, config: TrainingConfig, fingerprint: str,
                    status: TrainingStatus) -> dict[str, Any]:
    return {"epoch": epoch, "config": asdict(config), "data_fingerprint": fingerprint,
            "status": status.to_json()}


def read_checkpoint_meta(out_dir: Path) -> dict[str, Any]:
    folder = out_dir / CHECKPOINT_DIR
    try:
        return json.loads((folder / CHECKPOINT_META).read_text())
    except FileNotFoundError:
        raise TrainingError(f"Nothing to resume in {out_dir}: no checkpoint there yet") from None
    except (OSError, ValueError) as exc:
        raise TrainingError(f"Checkpoint in {folder} is unreadable ({exc})") from exc


def load_checkpoint_weights(vae: VAE, out_dir: Path, meta: dict[str, Any]) -> None:
    path = checkpoint_weights_path(out_dir, meta)
    try:
        vae.load_weights(path)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"Checkpoint weights {path} are unreadable ({exc})") from exc
