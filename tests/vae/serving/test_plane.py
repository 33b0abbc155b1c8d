"""The style plane of 2-D and wider codes, on synthetic codes whose style directions are known."""

from __future__ import annotations

import numpy as np

from genai_models.vae.serving.plane import StylePlane


def synthetic_codes(latent_dim: int = 8, per_class: int = 200, seed: int = 0):
    """Codes whose classes sit apart along axes 4 and 5 and whose style varies, the same way in
    every class, along two known mixed directions (strongly) and all axes (faintly)."""
    rng = np.random.default_rng(seed)
    style = np.zeros((2, latent_dim))
    style[0, [0, 1]] = [0.6, 0.8]
    style[1, [2, 3]] = [-0.8, 0.6]
    means = np.zeros((10, latent_dim))
    means[:, 4] = 3 * np.cos(np.arange(10))
    means[:, 5] = 3 * np.sin(np.arange(10))
    labels = np.repeat(np.arange(10), per_class)
    codes = (
        means[labels]
        + rng.normal(0, [2.0, 1.0], (len(labels), 2)) @ style
        + rng.normal(0, 0.05, (len(labels), latent_dim))
    )
    return means, codes, labels, style


def measured(means, codes, labels, style, seed: int = 5):
    """ "Slant" grows along the weaker style direction, "width" along a mix of both; each class
    has its own typical width (which the plane must not chase), and both are a little noisy."""
    rng = np.random.default_rng(seed)
    offsets = codes - means[labels]
    slant = offsets @ style[1] + rng.normal(0, 0.02, len(codes))
    width = offsets @ (style[0] + style[1]) + labels + rng.normal(0, 0.02, len(codes))
    return np.c_[slant, width]


def measured_plane():
    means, codes, labels, style = synthetic_codes()
    return means, StylePlane.fit(means, codes, labels, measured(means, codes, labels, style))


def test_a_2d_code_is_its_own_plane():
    means = np.random.default_rng(1).normal(size=(10, 2))
    codes = np.random.default_rng(2).normal(size=(50, 2))
    plane = StylePlane.fit(means, codes, np.arange(50) % 10, np.ones((50, 2)))
    xy = np.array([[0.5, -1.0], [2.0, 0.25]])
    assert np.allclose(plane.point(xy, np.array([3, 7])), xy)
    assert np.allclose(plane.coordinates(xy, np.array([3, 7])), xy)
    assert np.allclose(plane.shift((0.3, -0.2)), [0.3, -0.2])


def test_x_follows_the_first_measure_and_y_the_second_with_the_first_held():
    means, codes, labels, style = synthetic_codes()
    plane = StylePlane.fit(means, codes, labels, measured(means, codes, labels, style))
    assert plane.basis.shape == (8, 2)
    assert np.allclose(plane.basis.T @ plane.basis, np.eye(2), atol=1e-9)
    assert plane.basis[:, 0] @ style[1] > 0.99  # rightwards is more "slanted"
    assert plane.basis[:, 1] @ style[0] > 0.99  # upwards is "wider" at the same slant
    assert np.abs(plane.basis[4:6]).max() < 0.05  # nothing of the class axes 4 and 5


def test_a_drawing_without_ink_does_not_tilt_the_plane():
    means, codes, labels, style = synthetic_codes()
    measures = measured(means, codes, labels, style)
    measures[::7] = np.nan  # stroke_measures of a blank drawing
    plane = StylePlane.fit(means, codes, labels, measures)
    assert plane.basis[:, 0] @ style[1] > 0.99 and plane.basis[:, 1] @ style[0] > 0.99


def test_each_class_plane_passes_through_its_typical_code_and_round_trips():
    means, plane = measured_plane()
    classes = np.arange(10)
    assert np.allclose(plane.point(np.zeros((10, 2)), classes), means, atol=1e-5)
    assert np.allclose(plane.coordinates(means, classes), 0, atol=1e-5)
    xy = np.random.default_rng(2).normal(size=(10, 2))
    assert np.allclose(plane.coordinates(plane.point(xy, classes), classes), xy, atol=1e-5)
    # A move across the plane is the same move for every class.
    moved = plane.point(xy + np.array([1.0, 0.0]), classes) - plane.point(xy, classes)
    assert np.allclose(moved, plane.shift((1.0, 0.0)), atol=1e-5)


def test_the_same_codes_give_the_same_plane_whatever_their_order():
    means, codes, labels, style = synthetic_codes()
    measures = measured(means, codes, labels, style)
    order = np.random.default_rng(3).permutation(len(codes))
    first = StylePlane.fit(means, codes, labels, measures)
    again = StylePlane.fit(means, codes[order], labels[order], measures[order])
    assert np.allclose(first.basis, again.basis, atol=1e-6)
