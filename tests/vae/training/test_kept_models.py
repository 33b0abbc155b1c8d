"""A run given a folder of kept models makes the self-check classifier and the digit-ness model
once for its digits and seed: a later run on the same reads them (the same files it would have
made), one on other digits or another seed makes its own, and a damaged kept file is made again."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from genai_models.vae.serving.card import CHECKER_FILE
from genai_models.vae.serving.digitness import DIGITNESS_ONNX
from genai_models.vae.training.digitness import trained_from
from genai_models.vae.training.kept_models import KeptModels

pytestmark = pytest.mark.slow

TINY = {"epochs": 2, "seed": 3}  # as tests/conftest.py's tiny model


def run(out, digits, caplog, kept: KeptModels, **config) -> str:
    """Train into `out` with `kept`; what the trainer logged of it."""
    from genai_models.vae.training.data import split
    from genai_models.vae.training.trainer import TrainingConfig, train

    caplog.clear()
    train(split(digits), out, TrainingConfig(**(TINY | config)), verbose=0, kept=kept)
    return caplog.text


def checker_weights(folder):
    from genai_models.vae.backend import keras

    return keras.saving.load_model(folder / CHECKER_FILE, compile=False).get_weights()


@pytest.fixture(scope="module")
def first(tmp_path_factory, mnist_slice):
    """A first run's folder and the models it kept (trained once for this module)."""
    from genai_models.vae.training.data import split
    from genai_models.vae.training.trainer import TrainingConfig, train

    folder = tmp_path_factory.mktemp("first")
    train(
        split(mnist_slice),
        folder / "run",
        TrainingConfig(**TINY),
        verbose=0,
        kept=KeptModels(folder / "kept"),
    )
    return folder


@pytest.fixture
def first_run(first, tmp_path, caplog):
    """The first run's folder, and a copy of what it kept for this test to use (and spoil)."""
    caplog.set_level("INFO", logger="genai_models")
    shutil.copytree(first / "kept", tmp_path / "kept")
    return KeptModels(tmp_path / "kept"), first / "run"


def test_the_first_run_keeps_both(first_run):
    kept, _ = first_run
    assert sorted(path.suffix for path in kept.folder.iterdir()) == [".h5", ".onnx"]


def test_a_later_run_on_the_same_digits_and_seed_reads_both_instead_of_training_them(
    first_run, tmp_path, mnist_slice, caplog
):
    kept, first = first_run
    log = run(tmp_path / "second", mnist_slice, caplog, kept)
    assert "reusing the self-check classifier an earlier run trained on these digits" in log
    assert "reusing the digit-ness model an earlier run trained on these digits" in log
    assert "training the self-check classifier" not in log
    assert "training the digit-ness model" not in log
    second = tmp_path / "second"
    assert (second / DIGITNESS_ONNX).read_bytes() == (first / DIGITNESS_ONNX).read_bytes()
    for a, b in zip(checker_weights(second), checker_weights(first), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_run_with_another_seed_makes_its_own(first_run, tmp_path, mnist_slice, caplog):
    kept, _ = first_run
    log = run(tmp_path / "other", mnist_slice, caplog, kept, seed=4)
    assert "reusing" not in log
    assert trained_from(tmp_path / "other" / DIGITNESS_ONNX)["seed"] == "4"
    assert len(list(kept.folder.iterdir())) == 4  # both runs' own, side by side


def test_a_damaged_kept_file_is_made_again_and_replaced(first_run, tmp_path, mnist_slice, caplog):
    kept, first = first_run
    for path in kept.folder.iterdir():
        path.write_bytes(b"not a model")
    log = run(tmp_path / "again", mnist_slice, caplog, kept)
    assert "cannot be read" in log
    assert "training the self-check classifier" in log
    assert "training the digit-ness model" in log
    # What replaced the damaged files is what the run made, ready for the next run.
    made = sorted(kept.folder.iterdir())
    assert [path.suffix for path in made] == [".h5", ".onnx"]
    assert made[1].read_bytes() == (tmp_path / "again" / DIGITNESS_ONNX).read_bytes()
    assert trained_from(made[1]) == trained_from(first / DIGITNESS_ONNX)
