"""Digit images laid out as PNG grids: the /digit sheet and the latent-space manifold."""

from __future__ import annotations

import math

import numpy as np

from genai_models.imaging.pixels import image_stack, png_bytes, resize_nearest
from genai_models.imaging.provenance import Provenance

BACKGROUND = 0  # black, as in MNIST: ink is bright


def grid_layout(count: int, columns: int | None = None) -> tuple[int, int]:
    """(columns, rows) for `count` images: ceil(√count) columns unless given, at most count."""
    if count < 1:
        raise ValueError(f"a grid needs at least one image, got {count}")
    if columns is None:
        columns = math.isqrt(count)
        if columns * columns < count:
            columns += 1
    elif columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    columns = min(columns, count)
    return columns, -(-count // columns)


def grid_size(count: int, *, cell: int = 84, margin: int = 8, columns: int | None = None) -> tuple[int, int]:
    """(width, height) in pixels of the PNG `grid_png` draws for `count` images."""
    _check_cell(cell, margin)
    columns, rows = grid_layout(count, columns)
    return columns * cell + (columns + 1) * margin, rows * cell + (rows + 1) * margin


def grid_png(
    images: np.ndarray,
    *,
    cell: int = 84,
    margin: int = 8,
    columns: int | None = None,
    provenance: Provenance | None = None,
) -> bytes:
    """A greyscale PNG of (N, H, W) uint8 images, each scaled to cell × cell pixels.

    Nearest-neighbour scaling keeps every source pixel a crisp square; images fill the grid row
    by row, and the margins around and between cells (and any empty trailing cells) are
    background, so no grid lines compete with the digits. `provenance`: see `png_bytes`.
    """
    stack = image_stack(images)
    width, height = grid_size(len(stack), cell=cell, margin=margin, columns=columns)
    columns, _ = grid_layout(len(stack), columns)
    cells = resize_nearest(stack, cell, cell)
    canvas = np.full((height, width), BACKGROUND, dtype=np.uint8)
    for index, pixels in enumerate(cells):
        row, column = divmod(index, columns)
        top = margin + row * (cell + margin)
        left = margin + column * (cell + margin)
        canvas[top : top + cell, left : left + cell] = pixels
    return png_bytes(canvas, provenance)


def _check_cell(cell: int, margin: int) -> None:
    if cell < 1 or margin < 0:
        raise ValueError(f"cell must be ≥ 1 and margin ≥ 0, got cell={cell}, margin={margin}")
