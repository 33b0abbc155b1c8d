"""What the style plane's axes do to a digit, measured on its drawings: slant, width, boldness.

The plane holds handwriting style (the decoder is told the class), but which way is "more
slanted" depends on the trained weights. So the latent map's axis labels and Explore's buttons
are not written by hand: each axis is named after the stroke measures that change most along it,
measured on every digit decoded across the plane. NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MEASURES = ("slant", "width", "ink")
# A measure names an axis when it changes at least this share of the axis's strongest change.
NAMING_SHARE = 0.5
MAX_NAMES = 2


def stroke_measures(images: np.ndarray) -> np.ndarray:
    """(N, 3): slant (horizontal shift of the ink per pixel of height, positive leaning right),
    width (the ink's horizontal standard deviation, pixels) and ink (its total, in full pixels)
    of (N, H, W) uint8 or [0, 1] images. An image without ink measures NaN."""
    images = np.asarray(images, "float64")
    if images.max(initial=0) > 1:
        images = images / 255
    height, width = images.shape[1:]
    rows, cols = np.mgrid[0:height, 0:width].astype("float64")
    ink = images.sum(axis=(1, 2))
    total = np.where(ink > 0, ink, np.nan)
    cx = (images * cols).sum(axis=(1, 2)) / total
    cy = (images * rows).sum(axis=(1, 2)) / total
    dx = cols[None] - cx[:, None, None]
    up = -(rows[None] - cy[:, None, None])  # image rows grow downwards; slant reads upwards
    mu11 = (images * dx * up).sum(axis=(1, 2)) / total
    mu02 = (images * up * up).sum(axis=(1, 2)) / total
    mu20 = (images * dx * dx).sum(axis=(1, 2)) / total
    return np.stack([mu11 / mu02, np.sqrt(mu20), np.where(ink > 0, ink, np.nan)], axis=1)


@dataclass(frozen=True)
class AxisMeaning:
    """For the x and y axes of the plane: the measures that grow along them, with their sign,
    e.g. x = (("slant", +1), ("width", -1)): rightwards is more slanted and narrower."""

    x: tuple[tuple[str, int], ...]
    y: tuple[tuple[str, int], ...]


def describe_axes(grids: list[np.ndarray], coordinates: np.ndarray) -> AxisMeaning:
    """Name the axes from decoded grids: `grids` are (n, n, H, W) arrays (one per digit, row 0
    at the top = the highest y), `coordinates` the n values each axis runs through, ascending.

    Each measure is regressed on (x, y) for every digit; an effect is its slope times the
    plane's width, in units of that measure's spread over all cells, so the three compare.
    """
    n = len(coordinates)
    xs = np.tile(coordinates, n)
    ys = np.repeat(coordinates[::-1], n)
    measured = [stroke_measures(grid.reshape(n * n, *grid.shape[2:])) for grid in grids]
    spread = np.nanstd(np.concatenate(measured), axis=0)
    span = coordinates[-1] - coordinates[0]
    effects = []  # per digit: (3 measures, 2 axes)
    for values in measured:
        keep = np.isfinite(values).all(axis=1)
        design = np.c_[xs[keep], ys[keep], np.ones(keep.sum())]
        slopes = np.linalg.lstsq(design, values[keep], rcond=None)[0][:2].T  # (3, 2)
        effects.append(slopes * span / np.where(spread > 0, spread, 1)[:, None])
    effect = np.mean(effects, axis=0)
    return AxisMeaning(_names(effect[:, 0]), _names(effect[:, 1]))


def _names(effects: np.ndarray) -> tuple[tuple[str, int], ...]:
    order = np.argsort(-np.abs(effects))
    strongest = abs(effects[order[0]])
    return tuple(
        (MEASURES[i], 1 if effects[i] > 0 else -1)
        for i in order[:MAX_NAMES]
        if abs(effects[i]) >= NAMING_SHARE * strongest
    )
