"""Loading refuses every kind of damaged model folder with one line naming the file."""

from __future__ import annotations

import json
import shutil

import pytest

from genai_models.errors import ModelFileError
from genai_models.vae.files import sha256_of
from genai_models.vae.serving.sampler import DigitSampler
from tests.vae.serving.older_export import make_older_export

pytestmark = pytest.mark.slow


def damaged_copy(tiny_model_dir, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target, ignore=shutil.ignore_patterns("checkpoint"))
    return target


def vouch_for(folder, *names):
    """Rewrite the card's hashes so the damaged files pass the hash check."""
    card = json.loads((folder / "model_card.json").read_text())
    for name in names:
        card["files"][name]["sha256"] = sha256_of(folder / name)
    (folder / "model_card.json").write_text(json.dumps(card))


def not_a_model(folder):
    """Garbage where the decoder's ONNX graph should be, with a card that vouches for it."""
    data = bytearray((folder / "decoder.onnx").read_bytes())
    data[: len(data) // 2] = b"\x00" * (len(data) // 2)
    (folder / "decoder.onnx").write_bytes(bytes(data))
    vouch_for(folder, "decoder.onnx")
    return "decoder.onnx", "is not a loadable ONNX model"


def files_swapped(folder):
    encoder, checker = folder / "encoder.onnx", folder / "checker.onnx"
    encoder.rename(folder / "tmp"), checker.rename(encoder), (folder / "tmp").rename(checker)
    vouch_for(folder, "encoder.onnx", "checker.onnx")
    return "encoder.onnx", "mixed up"


def keras_not_a_zip(folder):
    """An older export (no serving files) whose Keras file is damaged: its conversion says so."""
    make_older_export(folder)
    data = bytearray((folder / "vae.keras").read_bytes())
    data[: len(data) // 2] = b"\x00" * (len(data) // 2)
    (folder / "vae.keras").write_bytes(bytes(data))
    vouch_for(folder, "vae.keras")
    return "vae.keras", "is not a loadable Keras model (BadZipFile)"


def keras_files_swapped(folder):
    make_older_export(folder)
    vae, checker = folder / "vae.keras", folder / "checker.keras"
    vae.rename(folder / "tmp"), checker.rename(vae), (folder / "tmp").rename(checker)
    vouch_for(folder, "vae.keras", "checker.keras")
    return "vae.keras", "not the digit VAE"


def bad_hash(folder):
    data = (folder / "checker.keras").read_bytes()
    (folder / "checker.keras").write_bytes(data[:-10])
    return "checker.keras", "does not match its model card"


def missing_card(folder):
    (folder / "model_card.json").unlink()
    return "model_card.json", "No model card at"


def card_of_another_model(folder):
    card = json.loads((folder / "model_card.json").read_text())
    del card["prior_means"]
    (folder / "model_card.json").write_text(json.dumps(card))
    return "model_card.json", "does not describe these models (KeyError"


@pytest.mark.parametrize(
    "damage",
    [
        not_a_model,
        files_swapped,
        keras_not_a_zip,
        keras_files_swapped,
        bad_hash,
        missing_card,
        card_of_another_model,
    ],
)
def test_a_damaged_model_is_refused_in_one_line_naming_the_file(tiny_model_dir, tmp_path, damage):
    folder = damaged_copy(tiny_model_dir, tmp_path)
    name, fragment = damage(folder)
    with pytest.raises(ModelFileError) as caught:
        DigitSampler.load(folder, cache_dir=tmp_path / "cache", refuse_undertrained=False)
    message = str(caught.value)
    assert "\n" not in message and str(folder / name) in message and fragment in message


def test_a_model_folder_that_is_missing_or_an_unfinished_run_says_what_to_do(tmp_path):
    from genai_models.vae.serving.card import read_card

    with pytest.raises(ModelFileError) as missing:
        read_card(tmp_path / "no-such-folder")
    assert "does not exist" in str(missing.value) and "unset it to serve the shipped model" in str(
        missing.value
    )
    unfinished = tmp_path / "runs" / "vae"
    (unfinished / "checkpoint").mkdir(parents=True)  # epochs saved, never exported
    with pytest.raises(ModelFileError) as running:
        read_card(unfinished)
    assert f"genai-bot train --resume --out {unfinished}" in str(running.value)
