"""The drawing functions the cogs and the CLI share: sizes, frame counts, and no TensorFlow."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
from PIL import Image

from genai_models.imaging import grid_png, grid_size
from genai_models.vae.serving.drawing import (
    DEFAULT_FRAMES,
    DIGIT_PANEL,
    MORPH_FRAME_MS,
    MORPH_SIZE,
    OVERVIEW_PANEL,
    axis_meaning,
    draw_digits,
    draw_handwriting,
    draw_latent_map,
    draw_morph,
)
from tests.helpers import assert_labelled_ai, digit_image


def test_digits_are_the_served_images_as_a_grid(sampler):
    png = draw_digits(sampler, 6, count=4, seed=3, mark=False)
    served = grid_png(sampler.digits(6, count=4, seed=3))
    assert np.array_equal(_pixels(png), _pixels(served))
    assert Image.open(io.BytesIO(png)).size == grid_size(4)


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_every_drawing_says_inside_the_file_what_made_it_and_how(sampler):
    assert_labelled_ai(
        draw_digits(sampler, 6, count=4, seed=3), version=sampler.version, digit=6, count=4, seed=3
    )
    assert_labelled_ai(
        draw_morph(sampler, 2, 9, frames=4, seed=1), version=sampler.version, start=2, end=9, frames=4, seed=1
    )
    assert_labelled_ai(
        draw_latent_map(sampler, cells=3), version=sampler.version, feature="latent-map", digit="all", cells=3
    )
    assert_labelled_ai(draw_latent_map(sampler, 4), version=sampler.version, digit=4)
    png, _ = draw_handwriting(sampler, sampler.digits(5, count=1, seed=0)[0])
    assert_labelled_ai(png, version=sampler.version, feature="handwriting")


def test_without_a_seed_the_image_names_the_one_it_was_drawn_with(sampler):
    unseeded = draw_digits(sampler, None, count=2, seed=None)
    found = assert_labelled_ai(unseeded, version=sampler.version, digit="any")
    seed = json.loads(found["Comment"])["seed"]
    # The seed it names is the one that reproduces it.
    assert np.array_equal(_pixels(draw_digits(sampler, None, count=2, seed=seed)), _pixels(unseeded))


def test_the_mark_can_be_left_off_and_the_metadata_stays(sampler):
    marked = draw_digits(sampler, 1, count=1, seed=5)
    unmarked = draw_digits(sampler, 1, count=1, seed=5, mark=False)
    assert not np.array_equal(_pixels(marked), _pixels(unmarked))
    assert_labelled_ai(unmarked, version=sampler.version, seed=5)


def test_morph_is_a_boomerang_gif_of_the_agreed_size_and_pace(sampler):
    image = Image.open(io.BytesIO(draw_morph(sampler, 2, 9, seed=1)))
    assert image.size == (MORPH_SIZE, MORPH_SIZE)
    assert image.n_frames == 2 * DEFAULT_FRAMES - 2  # there and back, ends not repeated
    assert image.info["duration"] == MORPH_FRAME_MS and image.info["loop"] == 0


def test_latent_map_of_one_digit_is_one_labelled_panel(sampler):
    english = Image.open(io.BytesIO(draw_latent_map(sampler, 7)))
    spanish = draw_latent_map(sampler, 7, lang="es")
    assert english.format == "PNG" and min(english.size) >= DIGIT_PANEL
    assert english.size[0] < 2 * DIGIT_PANEL  # one panel, not ten
    # Its labels are in the reader's language.
    assert not np.array_equal(_pixels(spanish), _pixels(draw_latent_map(sampler, 7)))


def test_latent_map_overview_is_ten_small_multiples(sampler):
    overview = Image.open(io.BytesIO(draw_latent_map(sampler)))
    assert overview.size[0] >= 5 * OVERVIEW_PANEL and overview.size[1] >= 2 * OVERVIEW_PANEL


def test_handwriting_is_laid_out_as_digit_count_10(sampler, mnist_slice):
    png, written = draw_handwriting(sampler, digit_image(mnist_slice, 2), 2, mark=False)
    assert np.array_equal(_pixels(png), _pixels(grid_png(written.images)))
    assert Image.open(io.BytesIO(png)).size == grid_size(10)


def test_axis_meanings_read_in_both_directions():
    names = (("slant", 1), ("width", -1))
    assert axis_meaning(names, 1, "en") == "more slanted, narrower"
    assert axis_meaning(names, -1, "en") == "more upright, wider"
    assert axis_meaning(names, -1, "es") == "más recto, más ancho"
    assert axis_meaning((), 1, "en") == "other styles"


def test_drawing_imports_without_tensorflow() -> None:
    code = "import sys, genai_models.vae.serving.drawing; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
