"""Held-out quality: the negative ELBO in nats per digit, estimated the same way for any VAE.

For a model with a class prior the bound reported is label-free: the data's log-likelihood
satisfies log p(x) >= max_y [log p(y) + ELBO(x | y)], so with a uniform p(y) we report
recon + min_y KL(q || N(mean_y, I)) + ln 10 — directly comparable with a N(0, I) VAE's −ELBO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ElboEstimate:
    negative_elbo: float  # nats per digit, lower is better
    reconstruction: float
    kl: float


def estimate_negative_elbo(
    encode, decode, images: np.ndarray, *, prior_means: np.ndarray | None = None,
    decoder_gives_logits: bool, samples: int = 8, seed: int = 0, batch_size: int = 500,
) -> ElboEstimate:
    """`encode(images) -> (z_mean, z_log_var)`, `decode(z) -> pixels` (logits or probabilities)."""
    rng = np.random.default_rng(seed)
    reconstructions, kls = [], []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype("float32")
        z_mean, z_log_var = (np.asarray(t, dtype="float64") for t in encode(batch))
        kls.append(_kl_to_prior(z_mean, z_log_var, prior_means))
        flat = batch.reshape(len(batch), -1).astype("float64")
        total = np.zeros(len(batch))
        for _ in range(samples):
            z = z_mean + np.exp(0.5 * z_log_var) * rng.standard_normal(z_mean.shape)
            pixels = np.asarray(decode(z.astype("float32")), dtype="float64").reshape(len(batch), -1)
            total += _bce(flat, pixels, logits=decoder_gives_logits).sum(axis=1)
        reconstructions.append(total / samples)
    reconstruction = float(np.concatenate(reconstructions).mean())
    kl = float(np.concatenate(kls).mean())
    return ElboEstimate(reconstruction + kl, reconstruction, kl)


def _kl_to_prior(z_mean, z_log_var, prior_means):
    variance_terms = np.exp(z_log_var) - 1 - z_log_var  # (B, D)
    if prior_means is None:
        return 0.5 * (variance_terms + z_mean**2).sum(axis=1)
    distances = ((z_mean[:, None, :] - prior_means[None, :, :]) ** 2).sum(axis=2)  # (B, K)
    closest = distances.min(axis=1)
    return 0.5 * (variance_terms.sum(axis=1) + closest) + math.log(len(prior_means))


def _bce(targets, pixels, *, logits: bool):
    if logits:  # log(1 + e^-|l|) + max(l, 0) - t*l : stable for any logit
        return np.maximum(pixels, 0) - pixels * targets + np.log1p(np.exp(-np.abs(pixels)))
    eps = 1e-7  # Keras's clipping, so the seed is scored exactly as it trains
    p = np.clip(pixels, eps, 1 - eps)
    return -(targets * np.log(p) + (1 - targets) * np.log(1 - p))
