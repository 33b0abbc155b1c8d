"""The drawing functions the cogs and the CLI share: sizes, frame counts, and no TensorFlow."""

from __future__ import annotations

import io
import subprocess
import sys

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


def test_digits_are_the_served_images_as_a_grid(sampler):
    png = draw_digits(sampler, 6, count=4, seed=3)
    assert png == grid_png(sampler.digits(6, count=4, seed=3))
    assert Image.open(io.BytesIO(png)).size == grid_size(4)


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
