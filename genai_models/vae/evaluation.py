"""Held-out quality: the negative ELBO in nats per digit, estimated the same way for any VAE.

For a model with a class prior the bound reported is label-free: the prior over z is the
mixture p(z) = (1/10) sum_y N(z; mean_y, I), and its KL term E_q[log q(z|x) - log p(z)] has no
closed form, so it is estimated with the same z samples as the reconstruction (unbiased, like
the reconstruction term itself). It is directly comparable with a N(0, I) VAE's −ELBO.

For a class-conditional decoder (`conditional=True`, `decode(z, class_probabilities)`), each
class y gives a bound ELBO_y(x) <= log p(x, y), so log p(x) >= log sum_y p(y) exp(ELBO_y(x)):
every class is tried, and the label is never looked at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class ElboEstimate:
    negative_elbo: float  # nats per digit, lower is better
    reconstruction: float
    kl: float


def estimate_negative_elbo(
    encode, decode, images: np.ndarray, *, prior_means: np.ndarray | None = None,
    decoder_gives_logits: bool, samples: int = 8, seed: int = 0, batch_size: int = 500,
    conditional: bool = False,
) -> ElboEstimate:
    """`encode(images) -> (z_mean, z_log_var)`, `decode(z) -> pixels` (logits or probabilities),
    or `decode(z, class_probabilities)` when `conditional` (then `prior_means` is required)."""
    if conditional:
        return _conditional_estimate(encode, decode, images, prior_means=prior_means,
                                     logits=decoder_gives_logits, samples=samples, seed=seed,
                                     batch_size=batch_size)
    rng = np.random.default_rng(seed)
    reconstructions, kls = [], []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype("float32")
        z_mean, z_log_var = (np.asarray(t, dtype="float64") for t in encode(batch))
        flat = batch.reshape(len(batch), -1).astype("float64")
        total, mixture_kl = np.zeros(len(batch)), np.zeros(len(batch))
        for _ in range(samples):
            noise = rng.standard_normal(z_mean.shape)
            z = z_mean + np.exp(0.5 * z_log_var) * noise
            pixels = np.asarray(decode(z.astype("float32")), dtype="float64").reshape(len(batch), -1)
            total += _bce(flat, pixels, logits=decoder_gives_logits).sum(axis=1)
            if prior_means is not None:
                mixture_kl += _log_posterior(noise, z_log_var) - _log_mixture(z, prior_means)
        reconstructions.append(total / samples)
        if prior_means is None:
            kls.append(0.5 * (np.exp(z_log_var) - 1 - z_log_var + z_mean**2).sum(axis=1))
        else:
            kls.append(mixture_kl / samples)
    reconstruction = float(np.concatenate(reconstructions).mean())
    kl = float(np.concatenate(kls).mean())
    return ElboEstimate(reconstruction + kl, reconstruction, kl)


def _conditional_estimate(encode, decode, images, *, prior_means, logits, samples, seed,
                          batch_size) -> ElboEstimate:
    rng = np.random.default_rng(seed)
    num_classes = len(prior_means)
    one_hot = np.eye(num_classes, dtype="float32")
    bounds, reconstructions, kls = [], [], []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype("float32")
        size = len(batch)
        z_mean, z_log_var = (np.asarray(t, dtype="float64") for t in encode(batch))
        flat = np.tile(batch.reshape(size, -1).astype("float64"), (num_classes, 1))
        classes = np.repeat(one_hot, size, axis=0)  # class-major: rows y*size .. (y+1)*size
        reconstruction = np.zeros((num_classes, size))
        for _ in range(samples):
            z = z_mean + np.exp(0.5 * z_log_var) * rng.standard_normal(z_mean.shape)
            pixels = np.asarray(decode(np.tile(z, (num_classes, 1)).astype("float32"), classes),
                                dtype="float64").reshape(num_classes * size, -1)
            reconstruction += _bce(flat, pixels, logits=logits).sum(axis=1).reshape(num_classes, size)
        reconstruction /= samples
        squared = ((z_mean[None, :, :] - prior_means[:, None, :]) ** 2).sum(axis=2)  # (K, B)
        kl = 0.5 * ((np.exp(z_log_var) - 1 - z_log_var).sum(axis=1)[None, :] + squared)
        elbo = -(reconstruction + kl)  # (K, B)
        top = elbo.max(axis=0)
        bounds.append(top + np.log(np.exp(elbo - top).sum(axis=0)) - math.log(num_classes))
        best = elbo.argmax(axis=0)
        reconstructions.append(reconstruction[best, np.arange(size)])
        kls.append(kl[best, np.arange(size)])
    return ElboEstimate(float(-np.concatenate(bounds).mean()),
                        float(np.concatenate(reconstructions).mean()),
                        float(np.concatenate(kls).mean()))


def _log_posterior(noise, z_log_var):
    """log q(z|x) at z = mean + sigma * noise, per example."""
    return -0.5 * (noise**2 + z_log_var + LOG_2PI).sum(axis=1)


def _log_mixture(z, prior_means):
    """log (1/K) sum_k N(z; mean_k, I), per example, computed stably."""
    squared = ((z[:, None, :] - prior_means[None, :, :]) ** 2).sum(axis=2)  # (B, K)
    log_components = -0.5 * (squared + z.shape[1] * LOG_2PI)
    top = log_components.max(axis=1, keepdims=True)
    return (top[:, 0] + np.log(np.exp(log_components - top).mean(axis=1)))


def _bce(targets, pixels, *, logits: bool):
    if logits:  # log(1 + e^-|l|) + max(l, 0) - t*l : stable for any logit
        return np.maximum(pixels, 0) - pixels * targets + np.log1p(np.exp(-np.abs(pixels)))
    eps = 1e-7  # Keras's clipping, so the seed is scored exactly as it trains
    p = np.clip(pixels, eps, 1 - eps)
    return -(targets * np.log(p) + (1 - targets) * np.log(1 - p))
