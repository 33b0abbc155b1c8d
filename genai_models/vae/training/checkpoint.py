"""Resumable checkpoints: weights + optimizer state every epoch, written off the training thread.

Keras's `save_weights` of the VAE with AdamW's state takes about 60 ms here, 2-3% of an epoch,
and the epoch waits for it. `CheckpointWriter` instead copies the weights and optimizer state into
a second, identically built model at the epoch's end (about 6 ms) and saves that copy with the
same `save_weights` on a background thread while the next epoch trains. The files are the ones
`save_weights` always wrote, so `restore` is plain `load_weights`.

A checkpoint is complete or absent: the weights go to a temporary file renamed into place, and
the meta file (epoch, config, data fingerprint, status) is written after them, atomically.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genai_models.errors import TrainingError
from genai_models.vae.files import write_json_atomic

if TYPE_CHECKING:
    from genai_models.vae.model import VAE
    from genai_models.vae.training.status import TrainingStatus
    from genai_models.vae.training.trainer import TrainingConfig

log = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_WEIGHTS = "state.weights.h5"
CHECKPOINT_META = "state.json"


def save_checkpoint(vae: VAE, out_dir: Path, meta: dict[str, Any]) -> None:
    """Write `vae`'s weights and optimizer state, then `meta`, into out_dir/checkpoint/."""
    folder = out_dir / CHECKPOINT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".tmp-{os.getpid()}.weights.h5"
    vae.save_weights(temp)
    os.replace(temp, folder / CHECKPOINT_WEIGHTS)
    write_json_atomic(folder / CHECKPOINT_META, meta)


def checkpoint_meta(epoch: int, config: TrainingConfig, fingerprint: str,
                    status: TrainingStatus) -> dict[str, Any]:
    return {"epoch": epoch, "config": asdict(config), "data_fingerprint": fingerprint,
            "status": status.to_json()}


class CheckpointWriter:
    """Saves each epoch's checkpoint in the background, from a copy taken at the epoch's end.

    `make_copy` builds a compiled VAE with the trained one's structure and optimizer; it is
    called once. `flush()` waits for the write in flight and re-raises its error, if any; call it
    before reporting a run as finished, failed or interrupted, so no finished epoch is lost.
    """

    def __init__(self, out_dir: Path, make_copy: Callable[[], VAE]) -> None:
        self.out_dir = out_dir
        self._make_copy = make_copy
        self._copy: VAE | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint")
        self._pending: Future | None = None

    def submit(self, vae: VAE, meta: dict[str, Any]) -> None:
        self.flush()  # the copy is about to be overwritten: the previous write must be done
        if self._copy is None:
            self._copy = self._make_copy()
        self._copy.set_weights(vae.get_weights())
        for mine, theirs in zip(self._copy.optimizer.variables, vae.optimizer.variables,
                                strict=True):
            mine.assign(theirs)
        self._pending = self._executor.submit(save_checkpoint, self._copy, self.out_dir, meta)

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._executor.shutdown(wait=True)


def read_checkpoint_meta(out_dir: Path) -> dict[str, Any]:
    folder = out_dir / CHECKPOINT_DIR
    try:
        return json.loads((folder / CHECKPOINT_META).read_text())
    except FileNotFoundError:
        raise TrainingError(f"Nothing to resume in {out_dir}: no checkpoint there yet") from None
    except (OSError, ValueError) as exc:
        raise TrainingError(f"Checkpoint in {folder} is unreadable ({exc})") from exc


def load_checkpoint_weights(vae: VAE, out_dir: Path) -> None:
    folder = out_dir / CHECKPOINT_DIR
    try:
        vae.load_weights(folder / CHECKPOINT_WEIGHTS)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"Checkpoint weights in {folder} are unreadable ({exc})") from exc
