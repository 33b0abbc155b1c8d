"""Every export carries /handwriting's digit-ness model, vouched for by the card; an existing
model folder can be given one."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from genai_models.vae.files import sha256_of
from genai_models.vae.serving.card import CARD_FILE, read_verified_card
from genai_models.vae.serving.digitness import DIGITNESS_ONNX
from genai_models.vae.serving.sampler import DigitSampler
from genai_models.vae.training.non_digits import CANVAS, non_digit_pictures

pytestmark = pytest.mark.slow


def test_a_freshly_trained_model_carries_the_digitness_file_and_its_checksum(tiny_model_dir):
    card = json.loads((tiny_model_dir / CARD_FILE).read_text())
    assert card["files"][DIGITNESS_ONNX]["sha256"] == sha256_of(tiny_model_dir / DIGITNESS_ONNX)
    assert (tiny_model_dir / DIGITNESS_ONNX).stat().st_size < 3 * 2**20
    served = DigitSampler.load(tiny_model_dir, refuse_undertrained=False)
    assert served.digitness is not None and 0.0 <= served.digitness.refuse_below <= 1.0


def test_the_digitness_file_can_be_added_to_a_model_folder_changing_only_its_card_entry(
    tiny_model_dir, tmp_path, mnist_slice_path
):
    from genai_models.vae.training.digitness import main

    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder, ignore=shutil.ignore_patterns("checkpoint"))
    card = json.loads((folder / CARD_FILE).read_text())
    del card["files"][DIGITNESS_ONNX]
    (folder / CARD_FILE).write_text(json.dumps(card))
    (folder / DIGITNESS_ONNX).unlink()

    assert main([str(folder), "--data", str(mnist_slice_path), "--epochs", "1"]) == 0

    after = json.loads((folder / CARD_FILE).read_text())
    assert after["files"].pop(DIGITNESS_ONNX)["sha256"] == sha256_of(folder / DIGITNESS_ONNX)
    assert after == card
    read_verified_card(folder)
    assert DigitSampler.load(folder, refuse_undertrained=False).digitness is not None


def _left_by_a_stopped_attempt(model_dir, out):
    """`out` as a run stopped before its first epoch leaves it: the digit-ness file prepared."""
    from genai_models.vae.training.trainer import PREPARED_DIR

    (out / PREPARED_DIR).mkdir(parents=True)
    shutil.copy2(model_dir / DIGITNESS_ONNX, out / PREPARED_DIR / DIGITNESS_ONNX)


def test_a_run_started_again_keeps_the_digitness_file_its_stopped_attempt_made(
    tiny_model_dir, tmp_path, mnist_slice, caplog
):
    from genai_models.vae.training.data import split
    from genai_models.vae.training.trainer import TrainingConfig, train

    _left_by_a_stopped_attempt(tiny_model_dir, tmp_path)
    caplog.set_level("INFO", logger="genai_models")
    train(split(mnist_slice), tmp_path, TrainingConfig(epochs=2, seed=3), verbose=0)  # as tiny's
    assert "keeping the digit-ness model an earlier attempt of this run trained" in caplog.text
    assert (tmp_path / DIGITNESS_ONNX).read_bytes() == (tiny_model_dir / DIGITNESS_ONNX).read_bytes()


@pytest.mark.parametrize("other", ["seed", "digits"])
def test_a_digitness_file_another_run_left_is_never_served_by_this_one(
    tiny_model_dir, tmp_path, mnist_slice, caplog, other
):
    from genai_models.vae.training.data import split
    from genai_models.vae.training.digitness import trained_from
    from genai_models.vae.training.trainer import TrainingConfig, train

    _left_by_a_stopped_attempt(tiny_model_dir, tmp_path)
    caplog.set_level("INFO", logger="genai_models")
    digits = mnist_slice.subset(np.arange(500)) if other == "digits" else mnist_slice
    seed = 4 if other == "seed" else 3
    train(split(digits), tmp_path, TrainingConfig(epochs=2, seed=seed), verbose=0)
    assert "keeping the digit-ness model" not in caplog.text
    made_of = trained_from(tmp_path / DIGITNESS_ONNX)
    assert (made_of["seed"], made_of["training_digits"]) == (str(seed), split(digits).train.fingerprint())
    assert trained_from(tiny_model_dir / DIGITNESS_ONNX) != made_of


def test_non_digit_pictures_are_seeded_dark_ink_on_white(mnist_slice):
    digits, labels = mnist_slice.images[..., 0], mnist_slice.labels
    first = non_digit_pictures(40, digits, labels, seed=7)
    again = non_digit_pictures(40, digits, labels, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert all(p.shape == (CANVAS, CANVAS) and p.dtype == np.uint8 for p in first)
    # White paper: the border is (nearly) all background.
    assert np.median([np.median(np.concatenate([p[0], p[-1], p[:, 0], p[:, -1]])) for p in first]) == 255
