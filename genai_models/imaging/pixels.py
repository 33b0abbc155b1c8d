"""Array plumbing shared by the renderers: value scaling, nearest-neighbour resizing, PNG bytes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from genai_models.imaging.content_credentials import seal
from genai_models.imaging.provenance import Provenance, add_mark


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Clip and scale images to uint8 (0 = background, 255 = ink).

    Floats are read as [0, 1] (NaN becomes background); booleans as ink/no ink; other integer
    types as 0–255 and clipped; uint8 passes through. A trailing channel axis of size 1, as Keras
    decoders return, is dropped.
    """
    array = np.asarray(images)
    if array.ndim >= 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(array.dtype, np.integer):
        return np.clip(array, 0, 255).astype(np.uint8)
    scaled = np.nan_to_num(array.astype(np.float32), nan=0.0)
    return (np.clip(scaled, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def image_stack(images: np.ndarray) -> np.ndarray:
    """uint8 `images` as a (N, H, W) stack; a single (H, W) image becomes a stack of one.

    Only uint8 is taken: the sampler serves greys as uint8 already, and refusing floats keeps one
    conversion in one place (`to_uint8`, which callers holding floats call first).
    """
    array = np.asarray(images)
    if array.dtype != np.uint8:
        raise TypeError(f"images must be uint8 greys (convert floats with to_uint8), got {array.dtype}")
    stack = to_uint8(array)  # uint8 passes through; only a trailing channel axis is dropped
    if stack.ndim == 2:
        stack = stack[np.newaxis]
    if stack.ndim != 3 or 0 in stack.shape:
        raise ValueError(f"expected at least one image shaped (N, H, W), got {np.shape(images)}")
    return stack


def source_index(source: int, target: int) -> np.ndarray:
    """For each of `target` output pixels, the source pixel nearest-neighbour resizing reads."""
    return (np.arange(target) * source) // target


def resize_nearest(stack: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize every image of a (N, h, w) stack to (height, width) without blending pixels."""
    _, source_height, source_width = stack.shape
    if height % source_height == 0 and width % source_width == 0:
        # whole multiples (28 → 84, 224): repeating copies runs of memory instead of gathering
        # pixel by pixel, for the same pixels
        return stack.repeat(height // source_height, axis=1).repeat(width // source_width, axis=2)
    # one axis at a time: two 1-D gathers touch far fewer index entries than one 2-D fancy index
    rows = source_index(source_height, height)
    return stack.take(rows, axis=1).take(source_index(source_width, width), axis=2)


def png_bytes(pixels: np.ndarray | Image.Image, provenance: Provenance | None) -> bytes:
    """Encode a uint8 (H, W) grey or (H, W, 3) RGB array, or an image, as PNG.

    `provenance` is asked for on every call, so no image the product generates leaves without
    saying so: it is written into the file (and the corner mark drawn, if it asks for one).
    None is for images no model made, like the training loss chart.
    Pillow writes no timestamp of its own, so equal pixels and provenance give equal bytes
    (until Content Credentials are signed in last: each signature is new).
    """
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    info = None
    if provenance is not None:
        if provenance.mark:
            image = Image.fromarray(add_mark(np.asarray(image)))
        info = provenance.png_info()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return seal(buffer.getvalue(), "image/png", provenance)
