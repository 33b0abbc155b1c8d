"""The KL term's weight (a β-VAE's β): what the loss optimises, and that a run keeps it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genai_models.vae.training.trainer import TrainingConfig


def _batch(mnist_slice, count=32):
    return {"image": mnist_slice.images[:count], "label": mnist_slice.labels[:count]}


@pytest.mark.parametrize("kl_weight", [1.0, 0.25])
def test_the_loss_is_reconstruction_plus_the_weighted_kl(mnist_slice, kl_weight):
    from genai_models.vae.model import build_vae

    vae = build_vae(seed=3, kl_weight=kl_weight)
    batch = _batch(mnist_slice)
    outputs = vae(batch)
    loss = float(vae.compute_loss(x=batch, y_pred=outputs))
    reconstruction = float(vae.reconstruction_tracker.result())
    kl = float(vae.kl_tracker.result())  # reported unweighted: the ELBO's own KL
    assert kl > 1
    assert loss == pytest.approx(reconstruction + kl_weight * kl, rel=1e-5)


def test_the_weight_survives_saving_and_loading(tmp_path):
    from genai_models.vae.backend import keras
    from genai_models.vae.model import build_vae

    vae = build_vae(kl_weight=0.4)
    vae({"image": np.zeros((1, 28, 28, 1), "float32"), "label": np.zeros((1,), "int32")})
    vae.save(tmp_path / "vae.keras")
    assert keras.saving.load_model(tmp_path / "vae.keras", compile=False).kl_weight == pytest.approx(0.4)


def test_a_training_run_uses_the_configured_weight_and_records_it(tmp_path, mnist_slice):
    from genai_models.vae.backend import keras
    from genai_models.vae.training.data import split
    from genai_models.vae.training.trainer import _compiled_vae, train

    assert _compiled_vae(TrainingConfig(kl_weight=0.3), steps_per_epoch=1).kl_weight == pytest.approx(0.3)
    train(split(mnist_slice), tmp_path, TrainingConfig(epochs=1, seed=2, kl_weight=0.3), verbose=0)
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["training"]["kl_weight"] == pytest.approx(0.3)
    served = keras.saving.load_model(tmp_path / "vae.keras", compile=False)
    assert served.kl_weight == pytest.approx(0.3)
