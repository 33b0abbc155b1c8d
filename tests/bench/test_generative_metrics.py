"""The variety metrics on point clouds whose answer is known."""

from __future__ import annotations

import numpy as np

from genai_models.vae.training.generative_metrics import (
    frechet_distance,
    knn_radii,
    nearness_rank,
    precision_recall,
)


def cloud(count: int, *, seed: int, scale: float = 1.0, shift: float = 0.0) -> np.ndarray:
    return shift + scale * np.random.default_rng(seed).standard_normal((count, 8))


def test_two_samples_of_one_distribution_have_high_precision_and_recall():
    precision, recall = precision_recall(cloud(600, seed=0), cloud(600, seed=1))
    assert precision > 0.85 and recall > 0.85


def test_a_generator_that_repeats_a_narrow_style_is_precise_but_has_no_recall():
    precision, recall = precision_recall(cloud(600, seed=0), cloud(600, seed=1, scale=0.1))
    assert precision > 0.95 and recall < 0.1


def test_samples_off_the_real_data_have_no_precision():
    precision, _ = precision_recall(cloud(300, seed=0), cloud(300, seed=1, shift=6.0))
    assert precision < 0.05


def test_knn_radii_skip_the_point_itself():
    points = np.array([[0.0], [1.0], [3.0], [6.0], [10.0], [15.0], [21.0]])
    np.testing.assert_allclose(knn_radii(points, k=1), [1, 1, 2, 3, 4, 5, 6])


def test_frechet_distance_is_zero_for_the_same_set_and_grows_with_a_shift():
    a = cloud(2000, seed=0)
    assert abs(frechet_distance(a, a)) < 1e-6
    near, far = frechet_distance(a, cloud(2000, seed=1)), frechet_distance(a, cloud(2000, seed=1, shift=1))
    assert near < 0.5 and abs(far - 8) < 1.0  # ‖μ‖² = 8 for a shift of 1 in 8 dimensions


def test_nearness_rank_counts_the_others_nearer_than_the_target():
    anchor, target = np.zeros(2), np.array([2.0, 0.0])
    others = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 5.0], [0.5, 0.5]])
    assert nearness_rank(anchor, target, others) == 0.5
