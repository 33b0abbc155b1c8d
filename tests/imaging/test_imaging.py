"""genai_models.imaging: PNG grids, morph GIFs and charts, checked by decoding them with Pillow."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageFilter, ImageSequence

from genai_models.imaging import (
    grid_png,
    grid_size,
    loss_curve_png,
    morph_gif,
    to_uint8,
)
from tests.helpers import MNIST_SAMPLE


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """The first 100 real MNIST digits as uint8 greys, as the sampler serves them."""
    with np.load(MNIST_SAMPLE) as data:
        return data["x_train"][:100].astype(np.uint8)


@pytest.fixture(scope="module")
def morph_frames(digits: np.ndarray) -> np.ndarray:
    """60 uint8 frames blending two slightly blurred digits: as soft and changing as a VAE morph."""
    soft = [np.asarray(Image.fromarray(d).filter(ImageFilter.GaussianBlur(0.8))) / 255.0 for d in digits[:2]]
    weights = np.linspace(0.0, 1.0, 60)[:, None, None]
    return to_uint8((1 - weights) * soft[0] + weights * soft[1])


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def binary_digits(count: int, seed: int = 0) -> np.ndarray:
    """Random all-ink or no-ink pixels: 255 or 0."""
    return (np.random.default_rng(seed).random((count, 28, 28)) > 0.5).astype(np.uint8) * 255


# --- grids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "columns", "rows"), [(1, 1, 1), (2, 2, 1), (4, 2, 2), (5, 3, 2), (10, 4, 3), (25, 5, 5)]
)
def test_grid_size_lays_out_ceil_sqrt_columns(count: int, columns: int, rows: int) -> None:
    assert grid_size(count) == (columns * 84 + (columns + 1) * 8, rows * 84 + (rows + 1) * 8)


def test_grid_size_honours_explicit_columns_up_to_the_count() -> None:
    assert grid_size(5, cell=10, margin=2, columns=5) == (5 * 10 + 6 * 2, 10 + 2 * 2)
    assert grid_size(5, cell=10, margin=2, columns=2) == (2 * 10 + 3 * 2, 3 * 10 + 4 * 2)
    assert grid_size(5, cell=10, margin=2, columns=9) == grid_size(5, cell=10, margin=2, columns=5)


@pytest.mark.parametrize("count", [1, 4, 5, 25])
def test_grid_png_decodes_to_grid_size(count: int) -> None:
    image = decode(grid_png(binary_digits(count)))
    assert image.format == "PNG"
    assert image.size == grid_size(count)


def test_grid_png_places_each_image_row_by_row_in_its_cell() -> None:
    images = binary_digits(5)
    pixels = np.asarray(decode(grid_png(images, cell=56, margin=4)))
    for index, expected in enumerate(images):
        row, column = divmod(index, 3)
        top, left = 4 + row * 60, 4 + column * 60
        cell = pixels[top : top + 56, left : left + 56]
        assert np.array_equal(cell, np.kron(expected, np.ones((2, 2), dtype=np.uint8)))


def test_grid_cells_are_crisp_nearest_neighbour_blocks() -> None:
    pixels = np.asarray(decode(grid_png(binary_digits(4), cell=84, margin=8)))
    cell = pixels[8 : 8 + 84, 8 : 8 + 84]
    assert set(np.unique(cell)) == {0, 255}
    blocks = cell.reshape(28, 3, 28, 3)
    assert (blocks == blocks[:, :1, :, :1]).all()  # every 3 × 3 block is one source pixel


def test_grid_margins_and_empty_cells_are_background() -> None:
    ink = np.full((5, 28, 28), 255, dtype=np.uint8)
    pixels = np.asarray(decode(grid_png(ink, cell=28, margin=6)))
    inked = np.zeros_like(pixels, dtype=bool)
    for index in range(5):
        row, column = divmod(index, 3)
        inked[6 + row * 34 : 6 + row * 34 + 28, 6 + column * 34 : 6 + column * 34 + 28] = True
    assert (pixels[inked] == 255).all()
    assert (pixels[~inked] == 0).all()  # outer margins, gaps and the sixth (empty) cell


def test_grid_png_bytes_are_deterministic(digits: np.ndarray) -> None:
    assert grid_png(digits[:9]) == grid_png(digits[:9].copy())


def test_grid_png_accepts_a_keras_channel_axis(digits: np.ndarray) -> None:
    assert grid_png(digits[:4, :, :, None]) == grid_png(digits[:4])


def test_grid_png_refuses_an_empty_batch() -> None:
    with pytest.raises(ValueError, match="at least one image"):
        grid_png(np.zeros((0, 28, 28), dtype=np.uint8))


@pytest.mark.parametrize("render", [grid_png, morph_gif])
def test_images_that_are_not_uint8_are_refused_naming_the_conversion(render) -> None:
    # One way through: the sampler serves uint8, and floats are converted by to_uint8 once.
    with pytest.raises(TypeError, match="to_uint8"):
        render(np.zeros((2, 28, 28), dtype=np.float32))


def test_uint8_images_are_drawn_as_they_are(digits: np.ndarray) -> None:
    pixels = np.asarray(decode(grid_png(digits[:1], cell=28, margin=0)))
    assert np.array_equal(pixels, digits[0])


def test_to_uint8_clips_scales_and_drops_a_channel_axis() -> None:
    images = np.array([[-0.5, 0.0, 0.5, 1.0, 7.0, np.nan]], dtype=np.float32)[..., None]
    assert to_uint8(images).tolist() == [[0, 0, 128, 255, 255, 0]]


# --- morph GIF -------------------------------------------------------------------------------


def test_gif_has_every_frame_and_loops_forever(morph_frames: np.ndarray) -> None:
    image = decode(morph_gif(morph_frames))
    assert image.format == "GIF"
    assert image.size == (224, 224)
    assert image.n_frames == 60
    assert image.info["loop"] == 0
    assert image.info["duration"] == 50


def test_gif_boomerang_plays_back_without_repeating_the_ends(morph_frames: np.ndarray) -> None:
    frames = morph_frames[:10]
    image = decode(morph_gif(frames, boomerang=True, size=56))
    decoded = [np.asarray(f.convert("L")) for f in ImageSequence.Iterator(image)]
    assert len(decoded) == 2 * 10 - 2
    assert np.array_equal(decoded[10], decoded[8])  # on the way back: 0 … 9, 8, 7, …
    assert np.array_equal(decoded[-1], decoded[1])  # ends before frame 0, which starts the loop


def test_gif_keeps_identical_consecutive_frames() -> None:
    assert decode(morph_gif(np.zeros((5, 28, 28), dtype=np.uint8))).n_frames == 5


def test_gif_frames_show_the_input_upscaled(morph_frames: np.ndarray) -> None:
    frames = morph_frames[::10]
    image = decode(morph_gif(frames, size=112))
    for source, frame in zip(frames, ImageSequence.Iterator(image), strict=True):
        expected = np.kron(source, np.ones((4, 4)))
        shown = np.asarray(frame.convert("L"), dtype=np.float64)
        assert np.abs(shown - expected).max() <= 255 / 63 / 2 + 1  # 64 grey levels


def test_gif_delta_frames_add_up_at_sizes_that_are_not_multiples_of_28(
    morph_frames: np.ndarray,
) -> None:
    frames = morph_frames[::6]
    nearest = (np.arange(100) * 28) // 100
    image = decode(morph_gif(frames, size=100))
    for source, frame in zip(frames, ImageSequence.Iterator(image), strict=True):
        expected = source[nearest][:, nearest].astype(np.float64)
        shown = np.asarray(frame.convert("L"), dtype=np.float64)
        assert np.abs(shown - expected).max() <= 255 / 63 / 2 + 1


def test_gif_of_60_frames_at_224_px_fits_in_512_kib(morph_frames: np.ndarray) -> None:
    assert len(morph_gif(morph_frames, size=224)) <= 512 * 1024


def test_gif_frame_duration_and_size_follow_the_arguments(morph_frames: np.ndarray) -> None:
    image = decode(morph_gif(morph_frames[:3], size=100, frame_ms=120))
    assert image.size == (100, 100)
    assert image.info["duration"] == 120


def test_gif_refuses_delays_browsers_would_slow_down() -> None:
    with pytest.raises(ValueError, match="frame_ms"):
        morph_gif(np.zeros((2, 28, 28), dtype=np.uint8), frame_ms=10)


# --- charts ----------------------------------------------------------------------------------


def colours(data: bytes) -> set[tuple[int, int, int]]:
    image = decode(data).convert("RGB")
    return {colour for _, colour in image.getcolors(maxcolors=1 << 20)}


BLUE, ORANGE = (31, 119, 180), (255, 127, 14)  # first two series colours


def test_loss_curve_draws_each_series_at_the_requested_size() -> None:
    history = {"loss": [250.0, 200.0, 180.0, 170.0], "val_loss": [255.0, 210.0, 190.0, 185.0]}
    data = loss_curve_png(history, title="VAE training", width=500, height=300)
    assert decode(data).size == (500, 300)
    assert {BLUE, ORANGE} <= colours(data)


def test_loss_curve_with_no_data_says_so_without_series_colours() -> None:
    data = loss_curve_png({"loss": [], "val_loss": []})
    assert decode(data).size == (640, 360)
    found = colours(data)
    assert len(found) > 1  # some text was drawn
    assert BLUE not in found and ORANGE not in found
    assert loss_curve_png({}) == data


def test_loss_curve_draws_a_single_point() -> None:
    assert BLUE in colours(loss_curve_png({"loss": [163.5]}))


def test_loss_curve_skips_non_finite_values_and_accented_titles() -> None:
    data = loss_curve_png({"loss": [3.0, float("nan"), 2.0, float("inf"), 1.0]}, title="Pérdida ¿ok?")
    assert decode(data).size == (640, 360)
    assert BLUE in colours(data)


def test_imaging_imports_without_tensorflow() -> None:
    code = "import sys, genai_models.imaging; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_charts_draw_spanish_as_it_is_written():
    """The charts' own font draws accents, ñ and ¿ ¡ as letters of their own (Pillow's default
    font draws each as the same empty box); characters beyond it are folded or marked."""
    from PIL import ImageDraw

    from genai_models.imaging.plotting import drawable, font

    assert drawable("¿Época? ¡Sí! → dígitos «5»") == "¿Época? ¡Sí! → dígitos «5»"
    assert drawable("Őrség 漢") == "Orség ?"

    def ink(char: str) -> bytes:
        canvas = Image.new("L", (24, 24), 0)
        ImageDraw.Draw(canvas).text((4, 2), char, fill=255, font=font())
        return canvas.tobytes()

    drawn = [ink(char) for char in "eéèñn¿?"]
    assert len(set(drawn)) == len(drawn)  # seven different glyphs, no shared box
