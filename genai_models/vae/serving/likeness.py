"""How much an upload looks like any digit the model writes: its distance to the nearest of them.

The self-check classifier names some digit for anything (a "T" reads as a 7, a "+" as a 4),
and the VAE redraws many letters and symbols well enough, so /handwriting also compares the
upload, pixel by pixel, with the model's own digits: every vetted pool point decoded as its
class (the decoder's mean image, grey like a preprocessed upload). A real digit lies close to
some of them; a letter or a symbol lies farther from all of them. The score is the mean squared
distance (summed over the 28×28 pixels, in [0, 1] units) to the `NEIGHBOURS` nearest.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 5
_CHUNK = 4096  # reference rows compared at once: bounds the temporary memory


class DigitLikeness:
    """The model's own digits, kept as uint8 (a byte a pixel), and distances to them."""

    def __init__(self, references: np.ndarray) -> None:
        self._references = np.asarray(references, "uint8").reshape(len(references), -1)

    @classmethod
    def from_decodings(cls, images: np.ndarray) -> DigitLikeness:
        """From decoder mean images (N, 28, 28) float in [0, 1]."""
        return cls(np.round(np.clip(images, 0.0, 1.0) * 255))

    def distance(self, image: np.ndarray) -> float:
        """Mean squared distance from an MNIST-like (28, 28) image in [0, 1] to its nearest
        references."""
        query = np.asarray(image, "float32").reshape(-1)
        nearest = np.full(NEIGHBOURS, np.inf, "float32")
        for start in range(0, len(self._references), _CHUNK):
            rows = self._references[start : start + _CHUNK].astype("float32") / 255.0
            distances = ((rows - query) ** 2).sum(axis=1)
            nearest = np.sort(np.concatenate([nearest, distances]))[:NEIGHBOURS]
        return float(nearest.mean())
