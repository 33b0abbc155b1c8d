"""Variety and fidelity of generated samples in a feature space: NumPy only, no model here.

- Improved precision and recall (Kynkäänniemi et al., 2019, "Improved Precision and Recall
  Metric for Assessing Generative Models"): every point of a set gets a ball reaching its k-th
  nearest neighbour in that set. Precision is the share of generated points inside some real
  ball (are they realistic?); recall is the share of real points inside some generated ball
  (is the real variety covered?). A generator that draws one good digit over and over has
  precision 1 and recall near 0.
- The Fréchet distance between Gaussians fitted to the two sets of features (the FID's formula).
"""

from __future__ import annotations

import numpy as np

K_NEAREST = 5  # the paper's k


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances (len(a), len(b)), computed in float64 and clipped at 0."""
    a = np.asarray(a, "float64")
    b = np.asarray(b, "float64")
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))


CHUNK = 1000  # rows of a distance matrix at a time: 6,000 × 6,000 float64 would be 288 MB


def knn_radii(features: np.ndarray, k: int = K_NEAREST) -> np.ndarray:
    """Each point's distance to its k-th nearest neighbour in the same set (itself excluded)."""
    if len(features) <= k:
        raise ValueError(f"need more than k={k} points for k-NN radii, got {len(features)}")
    # Column 0 of each sorted row is the point itself (distance 0).
    return np.concatenate(
        [
            np.partition(pairwise_distances(features[start : start + CHUNK], features), k, axis=1)[:, k]
            for start in range(0, len(features), CHUNK)
        ]
    )


def coverage_share(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """The share of `points` inside at least one ball (centre, radius)."""
    inside = [
        (pairwise_distances(points[start : start + CHUNK], centres) <= radii[None, :]).any(1)
        for start in range(0, len(points), CHUNK)
    ]
    return float(np.concatenate(inside).mean())


def precision_recall(real: np.ndarray, generated: np.ndarray, k: int = K_NEAREST) -> tuple[float, float]:
    """(precision, recall) of `generated` against `real` features, improved k-NN version."""
    precision = coverage_share(generated, real, knn_radii(real, k))
    recall = coverage_share(real, generated, knn_radii(generated, k))
    return precision, recall


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + tr(Σa + Σb − 2 (Σa Σb)^½), with the matrix root taken through symmetric
    eigendecompositions: tr((Σa Σb)^½) = tr((Σa^½ Σb Σa^½)^½), which stays real and needs no SciPy."""
    a = np.asarray(a, "float64")
    b = np.asarray(b, "float64")
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _psd_sqrt(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def nearness_rank(anchor: np.ndarray, target: np.ndarray, others: np.ndarray) -> float:
    """The share of `others` nearer to `anchor` than `target` is: 0 = `target` is the nearest.

    /handwriting's style faithfulness: `anchor` is the cell generated in an upload's style,
    `target` the upload, `others` other writers' digits of that class.
    """
    to_target = pairwise_distances(anchor[None], target[None])[0, 0]
    return float((pairwise_distances(anchor[None], others)[0] < to_target).mean())
