"""The held-out bound: the Monte Carlo mixture KL agrees with the closed form where one exists."""

import numpy as np
import pytest

from genai_models.vae.evaluation import estimate_negative_elbo


def _fixed_model(z_mean, z_log_var):
    encode = lambda images: (z_mean[: len(images)], z_log_var[: len(images)])  # noqa: E731
    decode = lambda z: np.zeros((len(z), 28, 28, 1), "float32")  # noqa: E731 logits 0: p = 1/2
    return encode, decode


def test_one_component_mixture_matches_the_closed_form_kl():
    rng = np.random.default_rng(3)
    z_mean = rng.normal(size=(400, 2)).astype("float32")
    z_log_var = rng.normal(-1, 0.3, size=(400, 2)).astype("float32")
    images = np.zeros((400, 28, 28, 1), "float32")
    encode, decode = _fixed_model(z_mean, z_log_var)

    closed = estimate_negative_elbo(encode, decode, images, decoder_gives_logits=True)
    sampled = estimate_negative_elbo(encode, decode, images, prior_means=np.zeros((1, 2)),
                                     decoder_gives_logits=True, samples=64)

    assert closed.reconstruction == pytest.approx(784 * np.log(2), rel=1e-6)
    assert sampled.kl == pytest.approx(closed.kl, rel=0.03)


def test_a_mixture_prior_costs_at_most_ln_k_over_its_nearest_component():
    z_mean = np.array([[2.0, 0.0], [-2.0, 0.0]] * 100, "float32")
    z_log_var = np.full((200, 2), -2.0, "float32")
    images = np.zeros((200, 28, 28, 1), "float32")
    means = np.array([[2.0, 0.0], [-2.0, 0.0]])
    encode, decode = _fixed_model(z_mean, z_log_var)

    mixture = estimate_negative_elbo(encode, decode, images, prior_means=means,
                                     decoder_gives_logits=True, samples=32)
    nearest_kl = 0.5 * (np.exp(-2.0) - 1 + 2.0) * 2  # the mean sits on its component

    assert nearest_kl < mixture.kl <= nearest_kl + np.log(2) + 0.05
