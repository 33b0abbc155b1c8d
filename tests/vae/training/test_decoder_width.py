"""The decoder's width: the default keeps today's layers, a wider one trains, saves, loads and draws."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genai_models.errors import TrainingError
from genai_models.vae.training.data import split
from genai_models.vae.training.trainer import TrainingConfig, train


def _hidden_channels(decoder) -> list[int]:
    """The Dense layer's units and each hidden convolution's filters, in order."""
    from genai_models.vae.backend import layers

    widths = []
    for layer in decoder.layers:
        if isinstance(layer, layers.Dense):
            widths.append(layer.units)
        elif isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose)) and layer.name != "pixel_logits":
            widths.append(layer.filters)
    return widths


def test_the_default_width_is_the_decoder_as_it_was():
    from genai_models.vae.model import build_decoder

    assert _hidden_channels(build_decoder()) == [7 * 7 * 64, 64, 32, 32]
    assert _hidden_channels(build_decoder(width=1.0)) == [7 * 7 * 64, 64, 32, 32]


def test_a_width_scales_every_hidden_layer_and_keeps_the_outputs():
    from genai_models.vae.model import build_decoder

    wide = build_decoder(width=2)
    assert _hidden_channels(wide) == [7 * 7 * 128, 128, 64, 64]
    assert _hidden_channels(build_decoder(width=1.5)) == [7 * 7 * 96, 96, 48, 48]
    logits = wide([np.zeros((3, 16), "float32"), np.eye(10, dtype="float32")[:3]])
    assert tuple(logits.shape) == (3, 28, 28, 1)


@pytest.mark.parametrize("width", [0, -1.0])
def test_a_width_that_is_not_positive_is_refused(width):
    from genai_models.vae.model import build_decoder

    with pytest.raises(ValueError, match="decoder width must be positive"):
        build_decoder(width=width)


def test_a_wider_model_trains_records_its_width_loads_and_draws(tmp_path, mnist_slice):
    from genai_models.vae.backend import keras
    from genai_models.vae.serving.sampler import DigitSampler

    train(split(mnist_slice), tmp_path, TrainingConfig(epochs=1, seed=5, decoder_width=2), verbose=0)
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["training"]["decoder_width"] == 2
    served = keras.saving.load_model(tmp_path / "vae.keras", compile=False)
    assert _hidden_channels(served.decoder) == [7 * 7 * 128, 128, 64, 64]
    sampler = DigitSampler.load(tmp_path, refuse_undertrained=False)
    images = sampler.draw(np.zeros((2, sampler.latent_dim), "float32"), [3, 7])
    assert images.shape[0] == 2 and images.shape[1:3] == (28, 28)
    assert images.max() > images.min()  # it drew something, not a blank


def test_resume_with_another_width_is_refused(tmp_path, mnist_slice):
    data = split(mnist_slice)
    train(data, tmp_path, TrainingConfig(epochs=1, seed=4, decoder_width=2), verbose=0)
    with pytest.raises(TrainingError, match=r"decoder_width=2.*decoder_width=1"):
        train(data, tmp_path, TrainingConfig(epochs=2, seed=4), resume=True, verbose=0)
