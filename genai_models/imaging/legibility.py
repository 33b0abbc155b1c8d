"""Cells the self-check cannot read as their digit, drawn so no one takes them for it.

A map or a handwriting grid says "this is a 1" of every cell in the 1's panel. A cell the
model's self-check reads as another digit (a corner of the style plane where a 1 is seldom
written, a hand too thick for a 0) is still drawn, since it shows where the model's writing
fails, but dimmed and struck through, so it cannot pass for a legible digit.
"""

from __future__ import annotations

import numpy as np

FADE = 0.3  # the ink a cell keeps: still there to see, no longer read as a digit at a glance
STRIKE_GREY = 110  # the struck-through line: mid grey on the black cell, above the faded ink


def faded(image: np.ndarray) -> np.ndarray:
    """A copy of a (H, W) uint8 grey digit, dimmed, with a line from its top-right corner to
    its bottom-left."""
    dimmed = (np.asarray(image, np.float32) * FADE).astype(np.uint8)
    height, width = dimmed.shape
    rows = np.arange(height)
    columns = np.clip(width - 1 - (rows * width) // height, 0, width - 1)
    dimmed[rows, columns] = np.maximum(dimmed[rows, columns], STRIKE_GREY)
    return dimmed


def fade_where(images: np.ndarray, legible: np.ndarray) -> np.ndarray:
    """`images` (..., H, W) with every image whose `legible` entry is False faded."""
    images = np.array(images, copy=True)
    flat = images.reshape(-1, *images.shape[-2:])
    for index in np.flatnonzero(~np.asarray(legible, bool).ravel()):
        flat[index] = faded(flat[index])
    return images
