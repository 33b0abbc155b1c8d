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
    LATENT_MAP_CELLS,
    MORPH_FRAME_MS,
    MORPH_SIZE,
    draw_digits,
    draw_latent_map,
    draw_morph,
)
from tests.helpers import assert_labelled_ai


def test_digits_are_the_served_images_as_a_grid(sampler):
    png = draw_digits(sampler, 6, count=4, seed=3, mark=False)
    served = grid_png(sampler.digits(6, count=4, seed=3))
    assert np.array_equal(_pixels(png), _pixels(served))
    assert Image.open(io.BytesIO(png)).size == grid_size(4)


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_every_drawing_says_inside_the_file_what_made_it_and_how(sampler):
    assert_labelled_ai(draw_digits(sampler, 6, count=4, seed=3), version=sampler.version,
                       digit=6, count=4, seed=3)
    assert_labelled_ai(draw_morph(sampler, 2, 9, frames=4, seed=1), version=sampler.version,
                       start=2, end=9, frames=4, seed=1)
    grid, scatter = draw_latent_map(sampler, 3)
    assert_labelled_ai(grid, version=sampler.version, cells=3)
    assert_labelled_ai(scatter, version=sampler.version, feature="latent-scatter")


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


def test_latent_map_is_a_grid_of_28px_cells_and_a_scatter(sampler):
    grid, scatter = draw_latent_map(sampler)
    assert Image.open(io.BytesIO(grid)).size == (28 * LATENT_MAP_CELLS,) * 2
    assert Image.open(io.BytesIO(scatter)).format == "PNG"


def test_drawing_imports_without_tensorflow() -> None:
    code = "import sys, genai_models.vae.serving.drawing; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
