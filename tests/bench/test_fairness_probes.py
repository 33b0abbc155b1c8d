"""The fairness probes serve the shipped model with other ink or another self-check: the
curves they try are tone curves (monotone, into [0, 1]), the served one is the bot's own, and
the self-check reads what the probe draws."""

from __future__ import annotations

import numpy as np
import pytest

from bench.fairness_probes import ProbeSampler, sharp_ink, tone_curves
from genai_models.vae.serving.sampler import DigitSampler


@pytest.fixture(scope="module")
def probe():
    return ProbeSampler.load()


@pytest.fixture(scope="module")
def curves(probe, mnist_slice):
    return tone_curves(probe, mnist_slice.images)


def test_every_tone_curve_is_monotone_and_maps_into_the_unit_interval(curves):
    logits = np.linspace(-40, 40, 4001).astype("float32")
    assert set(curves) == {"x2", "mean", "quantile", "logistic"}
    for name, curve in curves.items():
        ink = np.asarray(curve(logits))
        assert ink.min() >= 0 and ink.max() <= 1, name
        assert (np.diff(ink) >= 0).all(), name
        assert ink[0] < 0.01 and ink[-1] > 0.99, name  # paper stays paper, ink stays ink


def test_the_matched_curve_gives_the_drawings_the_real_digits_share_of_ink(probe, curves, mnist_slice):
    points = probe.sample_latents(8, count=60, seed=5)
    probe.tone = curves["quantile"]
    try:
        drawn = probe.draw(points, np.full(len(points), 8))
    finally:
        probe.tone = sharp_ink
    real = mnist_slice.images[mnist_slice.labels == 8]
    # The real eights' share of bare paper, nearly (the curve is fitted on every digit), where
    # the served ink leaves a grey halo round the strokes.
    assert np.mean(drawn == 0) == pytest.approx(np.mean(real == 0), abs=0.03)


def test_the_probe_serves_the_bots_own_drawings_by_default(probe, sampler):
    points = sampler.sample_latents(1, count=8, seed=3)
    classes = np.full(len(points), 1)
    assert np.array_equal(probe.draw(points, classes), DigitSampler.draw(sampler, points, classes))
    images = probe.draw(points, classes)
    assert np.array_equal(probe.classify_images(images), sampler.classify_images(images))


def test_the_decoder_probe_scores_every_digit_drawn_from_its_own_training_codes(probe, mnist_slice):
    from bench.fairness_probes import score_reconstructions
    from genai_models.vae.training.data import split
    from genai_models.vae.training.judge import train_judge

    data = split(mnist_slice)
    judge = train_judge(data, "plain", epochs=4)
    features = judge.features(data.train.images)
    scores = score_reconstructions(probe, judge, data, 30, (2, 3), features)
    assert len(scores) == 10
    assert all(0 <= value <= 1 for digit in scores for value in digit)
    # The model's drawings of its own training digits read as those digits, even to a judge
    # trained briefly on a few hundred.
    assert np.mean([fidelity for fidelity, _, _ in scores]) > 0.8
    assert score_reconstructions(probe, judge, data, 30, (2, 3), features) == scores  # seeded
