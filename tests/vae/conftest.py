"""Fixtures for the VAE tests: a slice of real MNIST, and models trained or loaded once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MNIST_SLICE = FIXTURES / "mnist-600.npz"


@pytest.fixture(scope="session")
def mnist_slice_path() -> Path:
    return MNIST_SLICE


@pytest.fixture(scope="session")
def mnist_slice():
    from genai_models.vae.data import load_digits

    return load_digits(MNIST_SLICE)


@pytest.fixture(scope="session")
def shipped_sampler():
    """The weights shipped in the package, loaded once for the whole session (TF is slow)."""
    from genai_models.vae.sampler import DigitSampler

    return DigitSampler.load()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, mnist_slice) -> Path:
    """A model trained for two epochs on the 600-digit slice: quick, real, disposable."""
    from genai_models.vae.data import split
    from genai_models.vae.training import TrainingConfig, train

    out = tmp_path_factory.mktemp("tiny-model")
    train(split(mnist_slice), out, TrainingConfig(epochs=2, seed=3), verbose=0)
    return out


def digit_image(mnist_slice, label: int, index: int = 0) -> np.ndarray:
    """A real digit of class `label` as a (28, 28) float array with ink = 1."""
    return mnist_slice.images[mnist_slice.labels == label][index, :, :, 0]
