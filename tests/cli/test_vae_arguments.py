"""The drawing commands check what they are given before loading anything, and say what a user
needs: the output's name and folder, which ends a morph has, the seed an unseeded digit used.
Real subprocesses of the installed CLI, serving the shipped model."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from PIL import Image

from genai_models.vae.serving.card import PRETRAINED_DIR
from genai_models.vae.training.data import load_digits
from tests.cli.test_vae import GENAI_BOT, assert_one_line_error, genai_bot, messages
from tests.helpers import MNIST_SLICE, png_of

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("digit", "7", "--out", "x.jpg"), ("x.jpg", "PNG", "ending in .png")),
        (("latent-map", "--out", "map"), ("map", "PNG", "ending in .png")),
        (("morph", "1", "2", "--out", "walk.png"), ("walk.png", "GIF", "ending in .gif")),
        (("handwriting", "--image", "a.png", "--out", "h.webp"), ("h.webp", "ending in .png")),
        (("digit", "--out", "a-file/x.png"), ("cannot write", "a-file", "not a folder")),
        (("digit", "--out", "a-folder"), ("a-folder",)),
        (("digit", "--out", "a-folder.png"), ("a-folder.png", "is a folder")),
        (("morph", "3"), ("a start and an end digit", "got 1")),
        (("morph", "--end-image", "a.png"), ("one digit besides --end-image", "got 0")),
        (("morph", "--start-image", "a.png", "--end-image", "a.png", "4"), ("no digit besides",)),
        (("digit", "3", "--digit", "4"), ("two different digits", "3", "4")),
    ],
)
def test_what_cannot_work_is_refused_before_anything_loads(tmp_path, args, fragments):
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-folder.png").mkdir()
    # No model where GENAI_MODEL_DIR points: had it loaded first, the message would say so.
    result = genai_bot(*args, cwd=tmp_path, model_dir=tmp_path / "no-model")
    assert result.returncode == 2
    message = assert_one_line_error(result, *fragments)
    assert messages(result) == [message]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file", "a-folder", "a-folder.png"]


def test_a_morph_from_a_users_image_needs_only_the_end_digit(tmp_path):
    digits = load_digits(MNIST_SLICE)
    photo = tmp_path / "four.png"
    photo.write_bytes(png_of(digits.images[digits.labels == 4][0, :, :, 0]))
    for args in (("--start-image", str(photo), "8"), ("3", "--end-image", str(photo))):
        out = tmp_path / "walk.gif"
        result = genai_bot(
            "morph",
            *args,
            "--frames",
            "6",
            "--seed",
            "1",
            "--out",
            str(out),
            cwd=tmp_path,
            model_dir=PRETRAINED_DIR,
        )
        assert result.returncode == 0, result.stderr
        with Image.open(out) as gif:
            assert gif.n_frames == 2 * 6 - 2


def test_digit_takes_digit_as_an_option_like_the_other_commands(tmp_path):
    for args, name in (
        (("7",), "positional.png"),
        (("--digit", "7"), "option.png"),
        (("7", "--digit", "7"), "both.png"),
    ):
        result = genai_bot(
            "digit", *args, "--seed", "3", "--out", name, cwd=tmp_path, model_dir=PRETRAINED_DIR
        )
        assert result.returncode == 0, result.stderr
    pixels = [
        np.asarray(Image.open(tmp_path / name)) for name in ("positional.png", "option.png", "both.png")
    ]
    assert all(np.array_equal(pixels[0], other) for other in pixels[1:])


def test_an_unseeded_digit_says_its_seed_and_that_seed_draws_it_again(tmp_path):
    first = genai_bot("digit", "5", "--out", "first.png", cwd=tmp_path, model_dir=PRETRAINED_DIR)
    assert first.returncode == 0, first.stderr
    seed = re.search(r"seed (\d+) \(pass --seed \1 to draw the same again\)", first.stdout)
    assert seed, first.stdout
    again = genai_bot(
        "digit", "5", "--seed", seed.group(1), "--out", "again.png", cwd=tmp_path, model_dir=PRETRAINED_DIR
    )
    assert again.returncode == 0 and "seed" not in again.stdout  # a given seed is not repeated
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "first.png")), np.asarray(Image.open(tmp_path / "again.png"))
    )


def test_a_command_at_the_default_log_level_prints_only_its_own_lines(tmp_path):
    """No timestamped INFO line with a path of the installation: only what the user asked."""
    import subprocess

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GENAI_", "DISCORD_", "OPENAI_", "LOG_"))
    }

    def draw():
        return subprocess.run(
            [str(GENAI_BOT), "digit", "2", "--seed", "1", "--out", "d.png"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    # The first run in a folder makes the local signing certificate, and says so once.
    first = draw()
    assert first.returncode == 0
    assert all(
        "created a local Content Credentials signing certificate" in line
        for line in first.stderr.splitlines()
    ), first.stderr
    result = draw()
    assert result.returncode == 0
    assert result.stderr == ""
    assert re.fullmatch(r"wrote d\.png \(\d+ KiB\)\n", result.stdout)


def test_a_data_folder_that_cannot_hold_the_signing_certificate_names_the_setting(tmp_path):
    (tmp_path / "data").write_text("a file where the data folder should be")
    result = genai_bot("digit", "3", "--out", "x.png", cwd=tmp_path, model_dir=PRETRAINED_DIR)
    assert result.returncode == 1
    assert_one_line_error(result, "signing certificate", "GENAI_DATA_DIR", "a folder this user may write")
    assert not (tmp_path / "x.png").exists()
