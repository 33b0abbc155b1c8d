"""Users' photos and drawings of a digit, made into the MNIST-like input the encoder expects.

MNIST digits are bright ink on black, cropped to the ink, scaled so the longer side is 20 px
(antialiased), and pasted into 28 × 28 with the centre of mass at the middle. `to_mnist` does the
same to whatever a user uploads: any size, colour or grey, dark ink on paper or chalk on a board.
`open_user_image` is the gate for untrusted bytes. Only NumPy and Pillow: no TensorFlow here.
"""

from __future__ import annotations

import functools
import io
import math

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from genai_models.errors import InvalidInputError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_SIDE = 4096
# Formats people upload (phone JPEGs that Pillow reads as MPO come in through JPEG); the rest of
# Pillow's decoders are attack surface we do not need. AVIF only where this Pillow has it.
ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF", "AVIF")
ANALYSIS_SIDE = 1024  # bigger images are box-averaged down first: a 20 px digit needs no more
MNIST_SIDE, DIGIT_SIDE = 28, 20
MNIST_CENTRE = 14.0  # where MNIST's centres of mass sit, in pixel indices (mean 14.0, sd 0.3)
MIN_CONTRAST = 0.1  # ink must differ from the background by a tenth of black-to-white


def size_in_mb(size: int) -> float:
    """`size` bytes in MB (MiB), rounded up to a tenth: a file just over the limit reads as over
    it (8.1, never "8 MB; up to 8 MB")."""
    return math.ceil(size / 2**20 * 10) / 10


def refuse_if_too_large(size: int) -> None:
    """Refuse an upload of `size` bytes over MAX_UPLOAD_BYTES, naming its size."""
    if size > MAX_UPLOAD_BYTES:
        raise InvalidInputError(
            code="image_too_large", size_mb=size_in_mb(size), max_mb=MAX_UPLOAD_BYTES // 2**20
        )


def open_user_image(data: bytes) -> Image.Image:
    """Decode untrusted image bytes, refusing with a user-safe `InvalidInputError` anything empty,
    over 8 MB, not an accepted image, over 4096 px on a side, damaged or truncated.

    Animated images give their first frame; camera EXIF rotation is applied.
    """
    if not data:
        raise InvalidInputError(code="image_empty")
    refuse_if_too_large(len(data))
    try:
        image = Image.open(io.BytesIO(data), formats=_decodable_formats())
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own bomb check: over 2 × MAX_IMAGE_PIXELS it raises; between 1 × and 2 × it
        # warns, which arrives here as an exception only where warnings are errors. Otherwise
        # the image opens and the side check below refuses it, as every such image is far over.
        raise _too_many_pixels() from None
    except UnidentifiedImageError:
        accepted = ", ".join(_decodable_formats())
        raise InvalidInputError(code="not_an_image", accepted=accepted) from None
    except Exception:  # any parser failure on untrusted bytes means "cannot read this"
        raise _damaged() from None

    width, height = image.size
    if width > MAX_SIDE or height > MAX_SIDE:
        raise _too_many_pixels(width, height)
    if width < 1 or height < 1:
        raise _damaged()
    try:
        image.load()  # the first frame only, and only now that its size is known to be safe
        return ImageOps.exif_transpose(image)
    except Exception:
        raise _damaged() from None


@functools.cache
def _decodable_formats() -> tuple[str, ...]:
    Image.init()  # registers every plugin, so the check below sees optional ones too
    return tuple(name for name in ACCEPTED_FORMATS if name in Image.OPEN)


def to_mnist(image: Image.Image | np.ndarray | bytes) -> np.ndarray:
    """A digit picture as a (28, 28) float32 array in [0, 1] with bright ink, like MNIST.

    Accepts image bytes (checked by `open_user_image`), a Pillow image in any mode (transparent
    parts count as white paper), or an array: (H, W) grey or (H, W, 3|4) RGB(A), uint8 or floats
    in [0, 1]. Refuses a picture with no visible ink with `InvalidInputError`.
    """
    if isinstance(image, bytes | bytearray | memoryview):
        image = open_user_image(bytes(image))
    grey = _grey_pixels(image)
    ink = _ink_pixels(grey)
    top, bottom, left, right = _ink_box(ink)
    digit = _scale_longer_side(ink[top:bottom, left:right], DIGIT_SIDE)
    return _centre_by_mass(digit)


def _grey_pixels(image: Image.Image | np.ndarray) -> np.ndarray:
    """(H, W) float32, 0 = black, 1 = white, at most ANALYSIS_SIDE on a side."""
    if isinstance(image, np.ndarray):
        image = _array_to_image(image)
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected image bytes, a PIL image or an array, got {type(image)}")
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        grey = Image.alpha_composite(paper, rgba).convert("L")
    elif image.mode in ("I", "F") or image.mode.startswith("I;16"):
        # 16-bit and float greys: Pillow's convert("L") would clip them, so scale by their depth
        values = np.asarray(image, dtype=np.float32)
        depth = 65535.0 if values.max(initial=0) > 255 else 255.0
        grey = Image.fromarray(np.clip(values / depth * 255, 0, 255).astype(np.uint8))
    else:
        grey = image.convert("L")
    factor = math.ceil(max(grey.size) / ANALYSIS_SIDE)
    if factor > 1:
        grey = grey.reduce(factor)
    return np.asarray(grey, dtype=np.float32) / 255.0


def _array_to_image(array: np.ndarray) -> Image.Image:
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise InvalidInputError(code="image_bad_array", shape=array.shape)
    if 0 in array.shape:
        raise InvalidInputError(code="image_empty")
    if array.dtype != np.uint8:
        scaled = np.nan_to_num(array.astype(np.float32), nan=0.0)
        if np.issubdtype(array.dtype, np.integer):
            scaled = scaled / 255.0
        array = (np.clip(scaled, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(array))


def _ink_pixels(grey: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1] (1 = full ink, 0 = background) for dark or light ink alike.

    The background is the median of the border; the ink is on whichever side of it the image
    reaches further (so grey paper in dim light works too). Deviations within a few standard
    deviations of the background's noise count as background.
    """
    border = _border(grey)
    background = float(np.median(border))
    # Grain, measured as differences between neighbouring pixels: strokes and paper are smooth
    # inside and shading changes slowly, so what is left is noise (σ√2 for two noisy pixels),
    # whether the digit is thin or bold and whatever frame surrounds the photo.
    steps = np.abs(np.diff(grey, axis=1))
    noise = 1.4826 * float(np.median(steps)) / math.sqrt(2) if steps.size else 0.0
    # the k-th most extreme pixels, not the single most extreme: one hot pixel is not a digit
    k = min(grey.size - 1, max(16, grey.size // 20000))
    flat = grey.ravel()
    darkest = float(np.partition(flat, k)[k])
    brightest = float(np.partition(flat, flat.size - 1 - k)[flat.size - 1 - k])
    dark_reach, bright_reach = background - darkest, brightest - background
    reach = max(dark_reach, bright_reach)
    if reach < MIN_CONTRAST or reach <= 4 * noise:
        raise _blank()
    ink = background - grey if dark_reach >= bright_reach else grey - background
    floor = min(3 * noise, reach / 2)
    return np.clip((ink - floor) / (reach - floor), 0.0, 1.0)


def _ink_box(ink: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) around the ink, ignoring specks with no inked neighbours."""
    mask = ink > 0.1
    padded = np.pad(mask, 1).astype(np.uint8)
    height, width = mask.shape
    neighbourhood = sum(padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3))
    mask &= neighbourhood >= 3  # a stroke pixel has ≥ 2 inked neighbours; noise rarely does
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise _blank()
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _scale_longer_side(digit: np.ndarray, side: int) -> np.ndarray:
    """Resize so the longer side is `side` px, keeping the aspect ratio, with antialiasing."""
    height, width = digit.shape
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Paste into 28 × 28 so the ink's centre of mass lands on MNIST's (14, 14)."""
    height, width = digit.shape
    mass = float(digit.sum())
    if mass <= 0:
        raise _blank()
    centre_y = float((digit.sum(axis=1) * np.arange(height)).sum()) / mass
    centre_x = float((digit.sum(axis=0) * np.arange(width)).sum()) / mass
    top = min(max(round(MNIST_CENTRE - centre_y), 0), MNIST_SIDE - height)
    left = min(max(round(MNIST_CENTRE - centre_x), 0), MNIST_SIDE - width)
    canvas = np.zeros((MNIST_SIDE, MNIST_SIDE), dtype=np.float32)
    canvas[top : top + height, left : left + width] = digit
    return canvas / canvas.max()


def _border(grey: np.ndarray) -> np.ndarray:
    """The pixels of a frame about 3 % of the shorter side wide (at least one pixel)."""
    width = max(1, min(grey.shape) // 32)
    return np.concatenate(
        [
            grey[:width].ravel(),
            grey[-width:].ravel(),
            grey[width:-width, :width].ravel(),
            grey[width:-width, -width:].ravel(),
        ]
    )


def _blank() -> InvalidInputError:
    return InvalidInputError(code="image_blank")


def _damaged() -> InvalidInputError:
    return InvalidInputError(code="image_unreadable")


def _too_many_pixels(width: int | None = None, height: int | None = None) -> InvalidInputError:
    return InvalidInputError(
        code="image_too_many_pixels",
        width=width,
        height=height,
        max_side=MAX_SIDE,
    )
