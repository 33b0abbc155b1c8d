"""The style plane: the 2-D view of the latent code that the latent map, Explore, morphs and
/handwriting's style fit walk through.

A 2-D code is its own plane. A wider code holds more of a hand than two numbers can (the
2-D model's digits all look like one writer), but people read a map and press arrows in two
directions, so a wider code gets a plane of two directions chosen to be read: the directions in
which the drawn digits' slant and width grow fastest (measured on the sampler's own drawings,
style.py), measured after taking each class's mean code away, so they are handwriting style
shared by all digits and not the gaps between classes. Each class's plane passes through its
typical code (its mean), so a map of a digit is centred on how that digit is usually written,
and plane coordinates are offsets from that typical hand. NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StylePlane:
    """`point(xy, k)` is where plane coordinates `xy` lie in the code of digit k;
    `coordinates(z, k)` is where codes of digit k lie on the plane (their projection)."""

    basis: np.ndarray  # (latent_dim, 2), orthonormal columns: the plane's x and y directions
    anchors: np.ndarray  # (10, latent_dim): each class's plane origin

    @classmethod
    def fit(
        cls, class_means: np.ndarray, codes: np.ndarray, labels: np.ndarray, measures: np.ndarray
    ) -> StylePlane:
        """The plane of a model whose classes' typical codes are `class_means` (10, D), from
        digits' `codes` (N, D), their `labels` (N,) and two measures of their drawings (N, 2)
        for the x and y axes to follow (style.py's slant and width). A 2-D model keeps its own
        two axes."""
        class_means = np.asarray(class_means, "float64")
        if class_means.shape[1] == 2:
            return cls(np.eye(2), np.zeros_like(class_means))
        labels = np.asarray(labels, "int64")
        style = np.asarray(codes, "float64") - class_means[labels]
        return cls(_measured_directions(style, np.asarray(measures, "float64"), labels), class_means)

    def coordinates(self, z: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Codes (N, D) of digits `classes` (N,) → their plane coordinates (N, 2)."""
        offsets = np.asarray(z, "float64") - self.anchors[np.asarray(classes, "int64")]
        return (offsets @ self.basis).astype("float32")

    def point(self, xy: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Plane coordinates (N, 2) of digits `classes` (N,) → codes (N, D)."""
        xy = np.asarray(xy, "float64").reshape(-1, 2)
        return (self.anchors[np.asarray(classes, "int64")] + xy @ self.basis.T).astype("float32")

    def shift(self, offset) -> np.ndarray:
        """A move across the plane (x, y) → the same move in the code (D,)."""
        return (np.asarray(offset, "float64") @ self.basis.T).astype("float32")


def _measured_directions(style: np.ndarray, measures: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(D, 2): x is the direction in which the first measure grows fastest (a least-squares fit
    of it on the style codes); y, the second's, less its part along x (Gram-Schmidt), so the
    plane stays orthonormal and y changes the second measure with the first held. Measures are
    taken relative to their class's mean (a 1 is narrower than a 0 whatever its style), and so
    are the codes: the fit is within classes."""
    keep = np.isfinite(measures).all(axis=1)  # a drawing without ink has no slant
    style, measures, labels = style[keep], measures[keep], labels[keep]
    for k in np.unique(labels):
        members = labels == k
        style[members] -= style[members].mean(0)
        measures[members] -= measures[members].mean(0)
    gradients = np.linalg.lstsq(style, measures, rcond=None)[0]  # (D, 2)
    x = gradients[:, 0] / np.linalg.norm(gradients[:, 0])
    y = gradients[:, 1] - (gradients[:, 1] @ x) * x
    return np.stack([x, y / np.linalg.norm(y)], axis=1)
