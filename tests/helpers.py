"""Small helpers the tests of several packages share: test data paths and image conversions."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MNIST_SLICE = FIXTURES / "mnist-600.npz"
MNIST_SAMPLE = FIXTURES / "mnist-first-100.npz"  # the image tests' digits, in a fixed order

# Key-shaped but plainly fake, and distinctive: any leak of it into logs or messages is easy to
# find, and no secret scanner mistakes it for a real key.
TEST_API_KEY = "sk-test-FAKE-loopback-only-key"


def digit_image(mnist_slice, label: int, index: int = 0) -> np.ndarray:
    """A real digit of class `label` as a (28, 28) float array with ink = 1."""
    return mnist_slice.images[mnist_slice.labels == label][index, :, :, 0]


def png_of(array, *, scale: int = 8, invert: bool = True) -> bytes:
    """A digit array (ink = 1) drawn as a user would upload it: dark ink on white, enlarged."""
    pixels = np.asarray(array, dtype="float32")
    if invert:
        pixels = 1.0 - pixels
    image = Image.fromarray((pixels * 255).astype("uint8"), mode="L")
    image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_of(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def copy_model(source: Path, target: Path) -> Path:
    """The files of a trained model folder copied into `target`, to damage without harm."""
    for path in source.iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target
