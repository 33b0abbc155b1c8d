"""genai_models.vae.serving.preprocess: users' digit pictures become MNIST-like; bad uploads are refused."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from genai_models.errors import InvalidInputError
from genai_models.vae.serving.preprocess import MAX_UPLOAD_BYTES, open_user_image, to_mnist
from tests.helpers import MNIST_SAMPLE


@pytest.fixture(scope="module")
def mnist() -> np.ndarray:
    """The first 40 real MNIST digits, uint8, 255 = ink."""
    with np.load(MNIST_SAMPLE) as data:
        return data["x_train"][:40]


def png(pixels: np.ndarray | Image.Image, **save: object) -> bytes:
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **save)
    return buffer.getvalue()


def on_paper(digit: np.ndarray, side: int = 300, canvas: tuple[int, int] = (420, 380)) -> np.ndarray:
    """A real digit scaled up, drawn black on white, off-centre on a larger sheet."""
    big = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR))
    sheet = np.full(canvas, 255, dtype=np.uint8)
    sheet[70 : 70 + side, 20 : 20 + side] = 255 - big
    return sheet


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    index = np.arange(image.shape[0])
    mass = image.sum()
    return float((image.sum(axis=1) * index).sum() / mass), float((image.sum(axis=0) * index).sum() / mass)


def fake_png_header(width: int, height: int) -> bytes:
    """A PNG that claims width × height pixels but carries only a few bytes of data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


# --- what comes out --------------------------------------------------------------------------


def test_result_is_28_by_28_float32_with_full_ink(mnist: np.ndarray) -> None:
    result = to_mnist(mnist[0])
    assert result.shape == (28, 28)
    assert result.dtype == np.float32
    assert result.min() == 0.0 and result.max() == 1.0


def test_an_mnist_digit_comes_back_unchanged(mnist: np.ndarray) -> None:
    results = [correlation(to_mnist(d), d) for d in mnist[:20]]
    assert np.mean(results) > 0.97


def test_a_real_digit_drawn_dark_on_paper_comes_back_close(mnist: np.ndarray) -> None:
    # a few thin digits land one pixel off MNIST's own integer centring, hence the mean
    results = [correlation(to_mnist(on_paper(d)), d) for d in mnist[:20]]
    assert min(results) > 0.6 and np.mean(results) > 0.9
    assert correlation(to_mnist(on_paper(mnist[0])), mnist[0]) > 0.8


def test_dark_on_light_and_light_on_dark_give_the_same_result(mnist: np.ndarray) -> None:
    sheet = on_paper(mnist[3])
    assert np.abs(to_mnist(sheet) - to_mnist(255 - sheet)).max() < 1e-5


def test_grey_paper_in_dim_light_with_grain_still_reads(mnist: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    ink = np.asarray(Image.fromarray(mnist[5]).resize((280, 280))) / 255.0
    photo = (0.45 + 0.1 * np.linspace(0, 1, 280)) * (1 - 0.8 * ink) + rng.normal(0, 0.03, ink.shape)
    data = io.BytesIO()
    Image.fromarray((np.clip(photo, 0, 1) * 255).astype(np.uint8)).save(data, "JPEG", quality=80)
    assert correlation(to_mnist(data.getvalue()), mnist[5]) > 0.8


def test_rgb_rgba_and_palette_images_match_grey(mnist: np.ndarray) -> None:
    grey = Image.fromarray(on_paper(mnist[7]))
    expected = to_mnist(grey)
    for mode in ("RGB", "RGBA", "P", "1"):
        assert correlation(to_mnist(grey.convert(mode)), expected) > 0.95, mode
    assert np.allclose(to_mnist(np.asarray(grey.convert("RGB"))), expected, atol=0.02)


def test_transparent_background_counts_as_white_paper(mnist: np.ndarray) -> None:
    # drawing apps export black strokes on transparent pixels that are themselves black
    strokes = on_paper(mnist[9]) < 128
    rgba = np.zeros((*strokes.shape, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(strokes, 255, 0)
    expected = to_mnist(np.where(strokes, 0, 255).astype(np.uint8))
    assert np.allclose(to_mnist(png(rgba)), expected, atol=1e-5)


def test_sixteen_bit_grey_png_reads_like_eight_bit(mnist: np.ndarray) -> None:
    sheet = on_paper(mnist[11])
    deep = Image.fromarray(sheet.astype(np.uint16) * 257)
    assert np.allclose(to_mnist(png(deep)), to_mnist(sheet), atol=0.02)


def test_small_off_centre_digit_is_scaled_and_centred_by_mass() -> None:
    sheet = np.zeros((200, 300), dtype=np.uint8)
    sheet[10:50, 240:256] = 255  # a 40 × 16 bar near the top-right corner
    result = to_mnist(sheet)
    rows, cols = np.nonzero(result > 0.5)
    assert rows.max() - rows.min() + 1 == 20  # the longer side scaled to 20 px
    assert 6 <= cols.max() - cols.min() + 1 <= 9  # aspect kept
    centre_y, centre_x = centre_of_mass(result)
    assert abs(centre_y - 14) <= 1 and abs(centre_x - 14) <= 1


def test_a_3000_pixel_photo_works(mnist: np.ndarray) -> None:
    big = Image.fromarray(on_paper(mnist[2], side=2000, canvas=(3000, 3000)))
    assert correlation(to_mnist(png(big, compress_level=1)), mnist[2]) > 0.8


def test_the_first_frame_of_an_animation_is_used(mnist: np.ndarray) -> None:
    frames = [Image.fromarray(on_paper(d)) for d in mnist[:3]]
    data = io.BytesIO()
    frames[0].save(data, "GIF", save_all=True, append_images=frames[1:])
    assert np.allclose(to_mnist(data.getvalue()), to_mnist(frames[0]), atol=0.02)


def test_camera_rotation_is_applied(mnist: np.ndarray) -> None:
    upright = on_paper(mnist[4])
    exif = Image.Exif()
    exif[0x0112] = 3  # orientation: stored upside down
    data = png(Image.fromarray(np.rot90(upright, 2)), exif=exif)
    assert np.allclose(to_mnist(data), to_mnist(upright), atol=1e-5)


# --- what is refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pixels",
    [
        np.full((64, 64), 255, dtype=np.uint8),
        np.zeros((64, 64), dtype=np.uint8),
        np.clip(np.random.default_rng(0).normal(128, 3, (64, 64)), 0, 255).astype(np.uint8),
    ],
    ids=["white", "black", "grey-with-grain"],
)
def test_a_blank_picture_is_refused(pixels: np.ndarray) -> None:
    with pytest.raises(InvalidInputError, match="blank") as refusal:
        to_mnist(png(pixels))
    assert refusal.value.code == "image_blank"


def refusal(data: bytes) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        open_user_image(data)
    return caught.value


def test_empty_bytes_are_refused() -> None:
    assert refusal(b"").code == "image_empty"


def test_random_bytes_are_not_an_image() -> None:
    error = refusal(np.random.default_rng(0).bytes(5000))
    assert error.code == "not_an_image"
    assert "not an image" in str(error)


def test_an_image_format_we_do_not_accept_is_refused() -> None:
    data = io.BytesIO()
    Image.new("L", (32, 32), 255).save(data, "PPM")
    assert refusal(data.getvalue()).code == "not_an_image"


def test_more_than_8_mb_is_refused_before_decoding() -> None:
    error = refusal(png(np.zeros((8, 8), dtype=np.uint8)) + bytes(9 * 1024 * 1024))
    assert error.code == "image_too_large"
    assert "8 MB" in str(error) and error.params["max_mb"] == MAX_UPLOAD_BYTES // 2**20


def test_a_file_just_over_8_mb_says_it_is_over() -> None:
    error = refusal(png(np.zeros((8, 8), dtype=np.uint8)) + bytes(MAX_UPLOAD_BYTES))
    assert str(error).startswith("The image is 8.1 MB;"), str(error)


def test_a_side_over_4096_pixels_is_refused() -> None:
    error = refusal(png(np.zeros((100, 5000), dtype=np.uint8)))
    assert error.code == "image_too_many_pixels"
    assert "5000×100" in str(error) and "4096×4096" in str(error)


def test_a_decompression_bomb_is_refused() -> None:
    bomb = fake_png_header(20000, 20000)  # 400 Mpx promised in 2 KB
    assert len(bomb) < 4096
    assert refusal(bomb).code == "image_too_many_pixels"


def test_a_bomb_pillow_only_warns_about_is_refused_too() -> None:
    bomb = fake_png_header(10000, 10000)  # 100 Mpx: between Pillow's warning and error limits
    # with warnings as errors (this suite) the warning itself is turned into the refusal
    assert refusal(bomb).code == "image_too_many_pixels"
    # where warnings are only shown, the size check refuses it before any pixel is decoded
    with pytest.warns(Image.DecompressionBombWarning):
        assert refusal(bomb).code == "image_too_many_pixels"


def test_a_truncated_file_is_refused(mnist: np.ndarray) -> None:
    data = png(on_paper(mnist[0]))
    assert refusal(data[: len(data) // 2]).code == "image_unreadable"


def test_preprocess_imports_without_tensorflow() -> None:
    code = "import sys, genai_models.vae.serving.preprocess; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
