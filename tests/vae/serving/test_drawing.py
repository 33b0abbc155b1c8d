"""The drawing functions the cogs and the CLI share: sizes, frame counts, and no TensorFlow."""

from __future__ import annotations

import io
import subprocess
import sys

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
from tests.helpers import digit_image


def test_digits_are_the_served_images_as_a_grid(sampler):
    png = draw_digits(sampler, 6, count=4, seed=3)
    assert png == grid_png(sampler.digits(6, count=4, seed=3))
    assert Image.open(io.BytesIO(png)).size == grid_size(4)


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
    assert spanish != draw_latent_map(sampler, 7)  # its labels are in the reader's language


def test_latent_map_overview_is_ten_small_multiples(sampler):
    overview = Image.open(io.BytesIO(draw_latent_map(sampler)))
    assert overview.size[0] >= 5 * OVERVIEW_PANEL and overview.size[1] >= 2 * OVERVIEW_PANEL


def test_handwriting_is_laid_out_as_digit_count_10(sampler, mnist_slice):
    png, written = draw_handwriting(sampler, digit_image(mnist_slice, 2), 2)
    assert png == grid_png(written.images)
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
