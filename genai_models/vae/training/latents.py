"""Per-class statistics of latent codes: where each digit lives in the latent plane."""

from __future__ import annotations

import numpy as np


def class_latent_statistics(codes: np.ndarray, labels: np.ndarray) -> dict[str, dict]:
    """For each label: count, mean and covariance of its codes (the sampler's class regions)."""
    stats = {}
    for label in range(10):
        members = codes[labels == label].astype("float64")
        if len(members) < 2:
            continue
        stats[str(label)] = {
            "count": len(members),
            "mean": members.mean(axis=0).round(5).tolist(),
            "covariance": np.cov(members, rowvar=False).reshape(codes.shape[1], -1).round(6).tolist(),
        }
    return stats
