"""The model card holds metadata; the validation latents sit beside it, hashed and verified."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genai_models.errors import ModelFileError
from genai_models.vae.files import npz_bytes
from genai_models.vae.serving.card import (
    CARD_FILE,
    CLASS_LATENTS_FILE,
    HISTORY_FILE,
    LATENTS_FILE,
    PRETRAINED_DIR,
    TRAINING_LATENTS_FILE,
    read_verified_card,
    version_id,
)
from tests.helpers import copy_model
from tests.vae.serving.older_export import make_older_export


def test_a_trained_card_keeps_its_latents_in_the_file_beside_it(tiny_model_dir, mnist_slice):
    raw = json.loads((tiny_model_dir / CARD_FILE).read_text())
    assert "validation_latents" not in raw and LATENTS_FILE in raw["files"]
    latents = read_verified_card(tiny_model_dir)["validation_latents"]
    validation_size = raw["data"]["validation_size"]
    latent_dim = raw["training"]["latent_dim"]
    assert latents["points"].shape == (validation_size, latent_dim)
    assert latents["points"].dtype == np.float32
    assert latents["labels"].shape == (validation_size,)
    assert set(latents["labels"].tolist()) <= set(range(10))
    assert np.isfinite(latents["points"]).all()


def test_the_shipped_card_loads_its_latents_and_keeps_its_version():
    card = read_verified_card(PRETRAINED_DIR)
    assert card["version"] == version_id(card["files"]["vae.keras"]["sha256"], card["training"]["latent_dim"])
    assert card["version"] == "vae16d-b8153a1926"  # the shipped weights (make train), unchanged
    assert card["validation_latents"]["points"].shape == (2000, card["training"]["latent_dim"])
    # Metadata only: the latents live beside it (a 16-D code's per-class covariances are most of it).
    assert (PRETRAINED_DIR / CARD_FILE).stat().st_size < 128 * 1024


def test_corrupted_latents_are_refused_naming_the_file(tiny_model_dir, tmp_path):
    model_dir = copy_model(tiny_model_dir, tmp_path)
    data = bytearray((model_dir / LATENTS_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_dir / LATENTS_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"validation_latents\.npz.*corrupted or truncated"):
        read_verified_card(model_dir)


def test_missing_latents_are_refused_naming_the_file(tiny_model_dir, tmp_path):
    model_dir = copy_model(tiny_model_dir, tmp_path)
    (model_dir / LATENTS_FILE).unlink()
    with pytest.raises(ModelFileError, match=r"missing: .*validation_latents\.npz"):
        read_verified_card(model_dir)


def test_a_card_from_before_the_latents_file_still_loads(tiny_model_dir, tmp_path):
    """Schema-1 cards (models trained by earlier versions) held the latents inline."""
    model_dir = make_older_export(copy_model(tiny_model_dir, tmp_path))
    card = read_verified_card(model_dir)
    latents = card.pop("validation_latents")
    card.pop("training_latents")
    for name in (LATENTS_FILE, TRAINING_LATENTS_FILE):
        (model_dir / name).unlink()
        del card["files"][name]
    card["schema"] = 1
    card["validation_latents"] = {"points": latents["points"].tolist(), "labels": latents["labels"].tolist()}
    (model_dir / CARD_FILE).write_text(json.dumps(card))
    assert read_verified_card(model_dir)["validation_latents"]["labels"] == latents["labels"].tolist()


def test_a_trained_card_keeps_the_training_codes_that_digits_sample_from(tiny_model_dir):
    raw = json.loads((tiny_model_dir / CARD_FILE).read_text())
    assert raw["schema"] >= 3 and TRAINING_LATENTS_FILE in raw["files"]
    latents = read_verified_card(tiny_model_dir)["training_latents"]
    train_size = raw["data"]["train_size"]
    assert latents["points"].shape == latents["spreads"].shape == (train_size, raw["training"]["latent_dim"])
    assert (latents["spreads"] > 0).all() and latents["labels"].shape == (train_size,)


def test_corrupted_training_codes_are_refused_naming_the_file(tiny_model_dir, tmp_path):
    model_dir = copy_model(tiny_model_dir, tmp_path)
    data = bytearray((model_dir / TRAINING_LATENTS_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_dir / TRAINING_LATENTS_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"training_latents\.npz.*corrupted or truncated"):
        read_verified_card(model_dir)


def test_a_schema_2_card_without_training_codes_still_loads(tiny_model_dir, tmp_path):
    model_dir = copy_model(tiny_model_dir, tmp_path)
    raw = json.loads((model_dir / CARD_FILE).read_text())
    (model_dir / TRAINING_LATENTS_FILE).unlink()
    del raw["files"][TRAINING_LATENTS_FILE]
    raw["schema"] = 2
    (model_dir / CARD_FILE).write_text(json.dumps(raw))
    card = read_verified_card(model_dir)
    assert "training_latents" not in card and len(card["validation_latents"]["points"])


def test_latents_file_bytes_depend_only_on_the_arrays(tmp_path):
    arrays = {"points": np.arange(6, dtype="float32").reshape(3, 2), "labels": np.array([1, 2, 3], "int32")}
    first = npz_bytes(arrays)
    assert npz_bytes({name: value.copy() for name, value in arrays.items()}) == first
    path = tmp_path / "latents.npz"
    path.write_bytes(first)
    with np.load(path) as archive:
        for name, value in arrays.items():
            np.testing.assert_array_equal(archive[name], value)


def test_the_card_keeps_class_statistics_and_history_in_files_beside_it(tiny_model_dir):
    raw = json.loads((tiny_model_dir / CARD_FILE).read_text())
    assert "class_latents" not in raw and "history" not in raw
    assert {CLASS_LATENTS_FILE, HISTORY_FILE} <= set(raw["files"])
    stats = read_verified_card(tiny_model_dir)["class_latents"]
    dim = raw["training"]["latent_dim"]
    assert [np.shape(stats[str(k)]["covariance"]) for k in range(10)] == [(dim, dim)] * 10
    assert json.loads((tiny_model_dir / HISTORY_FILE).read_text())["loss"]


def test_corrupted_class_statistics_are_refused_naming_the_file(tiny_model_dir, tmp_path):
    model_dir = copy_model(tiny_model_dir, tmp_path)
    (model_dir / CLASS_LATENTS_FILE).write_bytes(b"not an archive")
    with pytest.raises(ModelFileError, match=r"class_latents\.npz.*corrupted or truncated"):
        read_verified_card(model_dir)


@pytest.mark.parametrize("content", ["[]", '"x"', "3"])
def test_a_card_that_is_no_json_object_is_refused_by_name(tmp_path, content):
    copy_model(PRETRAINED_DIR, tmp_path)
    (tmp_path / CARD_FILE).write_text(content)
    with pytest.raises(ModelFileError, match=r"model_card\.json is not a model card"):
        read_verified_card(tmp_path)
