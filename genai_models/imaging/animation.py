"""Morph frames as a looping, greyscale GIF that stays small and quick to encode.

Why the frames are scaled nearest-neighbour: 28 px digits blown up to 224 px become 8 × 8 blocks,
crisp like the PNG grids, and long runs of equal pixels are what GIF's LZW compresses best —
bilinear scaling invents in-between greys, so the same morph comes out several times larger and
slower to encode (bench.imaging_gif compares the two).
Why we write the GIF container ourselves (Pillow still encodes every frame's pixels): Pillow's
`save_all` silently merges consecutive identical frames, so a caller would not get the frame
count it asked for, and it diffs every frame in RGBA; here each frame after the first is cropped
to the rectangle that changed, found on the small source frames.
"""

from __future__ import annotations

import numpy as np
from PIL import GifImagePlugin, Image

from genai_models.imaging.content_credentials import seal
from genai_models.imaging.pixels import image_stack, resize_nearest, source_index
from genai_models.imaging.provenance import Provenance, add_mark

# Fewer greys mean longer runs of equal pixels for LZW; 64 are still too close together to see
# on a blurred digit.
GREY_LEVELS = 64
MIN_FRAME_MS = 20  # browsers replay delays under 20 ms at 100 ms, the opposite of what was asked
MAX_FRAME_MS = 655_350  # GIF stores delays as 16-bit hundredths of a second
MIN_SIZE, MAX_SIZE = 16, 2048
_GREY_PALETTE = bytes(value for value in range(256) for _ in range(3))


def morph_gif(
    frames: np.ndarray,
    *,
    size: int = 224,
    frame_ms: int = 50,
    boomerang: bool = False,
    provenance: Provenance | None = None,
) -> bytes:
    """An animated GIF of (N, H, W) uint8 frames, size × size pixels, looping forever.

    Every frame is kept, even one equal to the previous, so the GIF has N frames, or 2N − 2 with
    `boomerang` (the frames played back in reverse without repeating either end). Delays are
    stored in hundredths of a second, so `frame_ms` is rounded to a multiple of 10.
    `provenance` goes into a comment and an XMP extension before the first frame (and the
    corner mark onto every frame, when it asks for one), then into signed Content Credentials
    when a signer is installed (`content_credentials`).
    """
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {size}")
    if not MIN_FRAME_MS <= frame_ms <= MAX_FRAME_MS:
        raise ValueError(f"frame_ms must be between {MIN_FRAME_MS} and {MAX_FRAME_MS}, got {frame_ms}")
    greys = _quantise(image_stack(frames))
    if boomerang and len(greys) > 2:
        greys = np.concatenate([greys, greys[-2:0:-1]])
    return _encode(greys, size, frame_ms, provenance)


def _quantise(stack: np.ndarray) -> np.ndarray:
    """Round uint8 greys to GREY_LEVELS evenly spaced values (still 0–255, so 255 stays white)."""
    step = 255 / (GREY_LEVELS - 1)
    levels = np.round(np.arange(256) / step)
    lookup = np.round(levels * step).astype(np.uint8)
    return lookup[stack]


def _encode(greys: np.ndarray, size: int, frame_ms: int, provenance: Provenance | None) -> bytes:
    count, height, width = greys.shape
    rows, cols = source_index(height, size), source_index(width, size)
    # first output row/column of each source row/column, plus the end: source span → pixel span
    row_start = np.searchsorted(rows, np.arange(height + 1))
    col_start = np.searchsorted(cols, np.arange(width + 1))
    changed = np.zeros((count, height, width), dtype=bool)
    changed[0] = True
    changed[1:] = greys[1:] != greys[:-1]

    chunks = [_header(size)]
    if provenance is not None:
        chunks.append(provenance.gif_extensions())
    mark = provenance is not None and provenance.mark
    for frame, change in zip(resize_nearest(greys, size, size), changed, strict=True):
        if mark:
            # The same pixels on every frame, so the cropped frames below never need to redraw it.
            frame = add_mark(frame)
        top, bottom, left, right = _bounds(change, row_start, col_start)
        if bottom <= top or right <= left:
            # nothing visible changed: a one-pixel frame keeps the frame count and the timing
            top, bottom, left, right = 0, 1, 0, 1
        pixels = np.ascontiguousarray(frame[top:bottom, left:right])
        chunks += GifImagePlugin.getdata(
            Image.fromarray(pixels), offset=(left, top), duration=frame_ms, disposal=1
        )
    chunks.append(b";")
    return seal(b"".join(chunks), "image/gif", provenance)


def _bounds(change: np.ndarray, row_start: np.ndarray, col_start: np.ndarray) -> tuple[int, int, int, int]:
    """Pixel rectangle (top, bottom, left, right) covering the changed source pixels."""
    changed_rows = np.flatnonzero(change.any(axis=1))
    if changed_rows.size == 0:
        return 0, 0, 0, 0
    changed_cols = np.flatnonzero(change.any(axis=0))
    return (
        int(row_start[changed_rows[0]]),
        int(row_start[changed_rows[-1] + 1]),
        int(col_start[changed_cols[0]]),
        int(col_start[changed_cols[-1] + 1]),
    )


def _header(size: int) -> bytes:
    """GIF89a screen with a 256-grey global palette, and the NETSCAPE block asking for loop=0."""
    dimensions = size.to_bytes(2, "little") * 2
    screen = bytes([0xF7, 0, 0])  # global table of 2^(7+1) colours, 8-bit, background index 0
    loop_forever = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    return b"GIF89a" + dimensions + screen + _GREY_PALETTE + loop_forever
