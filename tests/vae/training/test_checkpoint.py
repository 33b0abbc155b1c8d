"""Checkpoints written in the background hold exactly what the trained model holds."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from genai_models.vae.training.checkpoint import (
    CHECKPOINT_DIR,
    CHECKPOINT_WEIGHTS,
    CheckpointWriter,
    read_checkpoint_meta,
    save_checkpoint,
)


def _datasets(path) -> dict[str, np.ndarray]:
    found = {}
    with h5py.File(path, "r") as file:
        file.visititems(lambda name, item: found.__setitem__(name, item[()])
                        if isinstance(item, h5py.Dataset) else None)
    return found


@pytest.fixture(scope="module")
def trained(mnist_slice):
    """A VAE after one epoch, as training builds it: weights, AdamW state, seed state all moved."""
    from genai_models.vae.training.data import split
    from genai_models.vae.training.trainer import TrainingConfig, _compiled_vae

    config = TrainingConfig(epochs=1, seed=5)
    data = split(mnist_slice)
    vae = _compiled_vae(config, steps_per_epoch=4)
    vae.fit({"image": data.train.images, "label": data.train.labels}, batch_size=128,
            epochs=1, verbose=0)
    return vae, lambda: _compiled_vae(config, steps_per_epoch=4)


def test_background_checkpoint_equals_saving_the_model_itself(tmp_path, trained):
    vae, make_copy = trained
    save_checkpoint(vae, tmp_path / "direct", {"epoch": 1})
    writer = CheckpointWriter(tmp_path / "background", make_copy)
    writer.submit(vae, {"epoch": 1})
    writer.close()

    direct = _datasets(tmp_path / "direct" / CHECKPOINT_DIR / CHECKPOINT_WEIGHTS)
    background = _datasets(tmp_path / "background" / CHECKPOINT_DIR / CHECKPOINT_WEIGHTS)
    assert direct.keys() == background.keys() and len(direct) > 19  # weights and Adam's state
    for name, value in direct.items():
        np.testing.assert_array_equal(background[name], value, err_msg=name)
    assert read_checkpoint_meta(tmp_path / "background") == {"epoch": 1}


def test_a_failed_write_is_raised_by_flush_not_lost(tmp_path, trained):
    vae, make_copy = trained
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the checkpoint folder should go")
    writer = CheckpointWriter(blocked, make_copy)
    writer.submit(vae, {"epoch": 1})
    with pytest.raises(OSError):
        writer.close()
