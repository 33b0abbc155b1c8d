"""Checkpoints hold exactly what the trained model holds, and a failed write is never silent."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genai_models.vae.training.checkpoint import (
    CHECKPOINT_DIR,
    PENDING_WEIGHTS,
    checkpoint_weights_path,
    commit_checkpoint,
    load_checkpoint_weights,
    read_checkpoint_meta,
    weights_checkpoint,
)
from genai_models.vae.training.data import split
from genai_models.vae.training.status import read_status
from genai_models.vae.training.trainer import TrainingConfig, _compiled_vae, train


def test_a_checkpoint_restores_weights_and_optimizer_state_exactly(tmp_path, mnist_slice):
    """After one epoch with the training job's callback, a fresh model loads the very same state."""
    config = TrainingConfig(epochs=1, seed=5, precision="float32")
    data = split(mnist_slice)
    vae = _compiled_vae(config, steps_per_epoch=4)
    vae.fit(
        {"image": data.train.images, "label": data.train.labels},
        batch_size=128,
        epochs=1,
        verbose=0,
        callbacks=[weights_checkpoint(tmp_path)],
    )
    commit_checkpoint(tmp_path, {"epoch": 1})
    assert not (tmp_path / CHECKPOINT_DIR / PENDING_WEIGHTS).exists()
    meta = read_checkpoint_meta(tmp_path)
    assert meta["epoch"] == 1

    fresh = _compiled_vae(config, steps_per_epoch=4)
    load_checkpoint_weights(fresh, tmp_path, meta)
    assert int(fresh.optimizer.iterations) == int(vae.optimizer.iterations) == 4
    for mine, theirs in zip(fresh.get_weights(), vae.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    moments = [
        (np.asarray(a), np.asarray(b))
        for a, b in zip(fresh.optimizer.variables, vae.optimizer.variables, strict=True)
    ]
    assert len(moments) > 2 * len(vae.trainable_weights)  # AdamW's two moments per weight, too
    for mine, theirs in moments:
        np.testing.assert_array_equal(mine, theirs)


def test_a_failed_write_fails_the_run_and_says_why(tmp_path, mnist_slice):
    from genai_models.vae.backend import keras

    (tmp_path / CHECKPOINT_DIR).write_text("a file where the checkpoint folder should go")
    with pytest.raises(OSError):
        train(split(mnist_slice), tmp_path, TrainingConfig(epochs=2, precision="bfloat16"), verbose=0)
    status = read_status(tmp_path)
    assert status.state == "failed" and status.epoch == 0  # no epoch claimed as saved
    assert "Error" in status.message
    assert keras.config.dtype_policy().name == "float32"  # the failed run put the policy back
    assert json.loads((tmp_path / "status.json").read_text())["state"] == "failed"


def test_until_the_meta_is_committed_it_names_the_previous_epochs_weights(tmp_path):
    """A crash between the weights' rename and the meta's write resumes from a matching pair."""
    folder = tmp_path / CHECKPOINT_DIR
    folder.mkdir()
    (folder / PENDING_WEIGHTS).write_bytes(b"epoch 1")
    commit_checkpoint(tmp_path, {"epoch": 1})
    (folder / PENDING_WEIGHTS).write_bytes(b"epoch 2")
    # The process dies here: epoch 2's weights were saved, its meta never written.
    meta = read_checkpoint_meta(tmp_path)
    assert meta["epoch"] == 1
    assert checkpoint_weights_path(tmp_path, meta).read_bytes() == b"epoch 1"

    commit_checkpoint(tmp_path, {"epoch": 2})
    meta = read_checkpoint_meta(tmp_path)
    assert checkpoint_weights_path(tmp_path, meta).read_bytes() == b"epoch 2"
    assert sorted(p.name for p in folder.iterdir()) == ["state-epoch0002.weights.h5", "state.json"]
