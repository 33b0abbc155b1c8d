"""Stroke measures and axis naming on drawn shapes whose slant and width are known."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from genai_models.vae.serving.style import describe_axes, stroke_measures


def stroke(slant: float = 0.0, width: int = 0, thickness: int = 2) -> np.ndarray:
    """A vertical bar (or a box `width` wide) leaning `slant` pixels right per pixel of height."""
    image = Image.new("L", (28, 28), 0)
    draw = ImageDraw.Draw(image)
    top, bottom = 4, 24
    shift = slant * (bottom - top) / 2
    for dx in (-width // 2, width // 2) if width else (0,):
        draw.line([(14 + dx - shift, bottom), (14 + dx + shift, top)], fill=255, width=thickness)
    return np.asarray(image)


def test_slant_is_positive_leaning_right_and_grows_with_the_lean():
    upright, right, more, left = (stroke_measures(stroke(s)[None])[0, 0] for s in (0.0, 0.3, 0.6, -0.3))
    assert abs(upright) < 0.05
    assert 0 < right < more and left < 0


def test_width_and_ink_grow_with_the_drawing():
    narrow, wide = stroke_measures(np.stack([stroke(width=4), stroke(width=14)]))
    assert wide[1] > narrow[1] + 3
    thin, bold = stroke_measures(np.stack([stroke(thickness=1), stroke(thickness=4)]))
    assert bold[2] > 2 * thin[2]


def test_an_empty_image_measures_nan_instead_of_failing():
    assert np.isnan(stroke_measures(np.zeros((1, 28, 28), np.uint8))).all()


def test_axes_are_named_after_the_measure_that_changes_along_them():
    # x leans the stroke right, y (upwards) widens it: a grid drawn to say exactly that.
    coordinates = np.linspace(-1, 1, 5)
    grid = np.stack(
        [
            np.stack([stroke(slant=0.4 * x, width=int(8 + 6 * y)) for x in coordinates])
            for y in coordinates[::-1]
        ]
    )  # row 0 = highest y
    meaning = describe_axes([grid], coordinates)
    assert meaning.x[0] == ("slant", 1)
    assert meaning.y[0] == ("width", 1)
