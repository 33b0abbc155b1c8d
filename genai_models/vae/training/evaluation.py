"""Held-out quality: the negative ELBO in nats per digit, estimated the same way for any VAE.

Two kinds of model are scored:
- an unconditional decoder with a N(0, I) prior (the source article's VAE): reconstruction by Monte
  Carlo, KL in closed form;
- our class-conditional decoder with class priors N(mean_y, I): each class y gives a bound
  ELBO_y(x) <= log p(x, y), so log p(x) >= log sum_y p(y) exp(ELBO_y(x)). Every class is tried
  and the label is never looked at, so the figure is directly comparable with the source article's.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ELBO_CHUNK = 16  # rows per decoder call in `onnx_decoder`
ELBO_BATCH = 500  # digits per encoder call, and per round of decodes, in the estimate


@dataclass(frozen=True)
class ElboEstimate:
    negative_elbo: float  # nats per digit, lower is better
    reconstruction: float
    kl: float


def estimate_negative_elbo(
    encode,
    decode,
    images: np.ndarray,
    *,
    prior_means: np.ndarray | None = None,
    decoder_gives_logits: bool,
    samples: int = 8,
    seed: int = 0,
    batch_size: int = ELBO_BATCH,
) -> ElboEstimate:
    """`encode(images) -> (z_mean, z_log_var)`.

    Without `prior_means`: `decode(z) -> pixels` and a N(0, I) prior. With them (K, latent_dim):
    `decode(z, class_probabilities) -> pixels` and the label-free class-prior bound above.
    Pixels are logits or probabilities, as `decoder_gives_logits` says.
    """
    rng = np.random.default_rng(seed)
    bounds, reconstructions, kls = [], [], []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype("float32")
        z_mean, z_log_var = (np.asarray(t, dtype="float64") for t in encode(batch))
        if prior_means is None:
            bound, reconstruction, kl = _standard_prior_batch(
                decode, batch, z_mean, z_log_var, rng, samples, decoder_gives_logits
            )
        else:
            bound, reconstruction, kl = _class_prior_batch(
                decode,
                batch,
                z_mean,
                z_log_var,
                np.asarray(prior_means, "float64"),
                rng,
                samples,
                decoder_gives_logits,
            )
        bounds.append(bound)
        reconstructions.append(reconstruction)
        kls.append(kl)
    return ElboEstimate(
        float(-np.concatenate(bounds).mean()),
        float(np.concatenate(reconstructions).mean()),
        float(np.concatenate(kls).mean()),
    )


def vae_negative_elbo(vae, images: np.ndarray, *, samples: int = 8, decode=None) -> ElboEstimate:
    """The label-free bound of one of our VAEs (genai_models.vae.model.VAE), on `images`.

    `decode`: the same decoder run another way (`onnx_decoder`, its exported file), else Keras.
    """
    return estimate_negative_elbo(
        lambda batch: _encode(vae, batch),
        decode or (lambda z, classes: vae.decoder([z, classes], training=False)),
        images,
        prior_means=np.asarray(vae.prior.means),
        decoder_gives_logits=True,
        samples=samples,
    )


def _encode(vae, images: np.ndarray):
    """(z_mean, z_log_var) of `images` by `vae`'s encoder, in inference mode."""
    return vae.encoder(images, training=False)[:2]


class ScoringStopped(Exception):
    """The background scoring was told to stop (`BackgroundElbo.stop`) before it ended."""


class BackgroundElbo:
    """`vae_negative_elbo(vae, images, decode=decode)`, computed in a thread of its own while
    the caller goes on with other work: the same estimate, the same seeds, the same numbers.

    The encoder (Keras) runs here, in the caller's thread, before the thread starts (a few
    calls: the same batches the estimator would make); the thread then only decodes (`decode`,
    ONNX Runtime) and does NumPy arithmetic, so no TensorFlow runs in two threads at once.
    `stop()` makes the thread give up at its next decode call: a caller that fails or is
    interrupted does not leave it running (the process could not exit before it ended).
    """

    def __init__(self, vae, images: np.ndarray, *, decode, samples: int = 8) -> None:
        codes = iter(
            [
                tuple(np.asarray(t) for t in _encode(vae, images[i : i + ELBO_BATCH].astype("float32")))
                for i in range(0, len(images), ELBO_BATCH)
            ]
        )
        self._stopped = threading.Event()

        def decode_unless_stopped(z: np.ndarray, classes: np.ndarray) -> np.ndarray:
            if self._stopped.is_set():
                raise ScoringStopped
            return decode(z, classes)

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="elbo")
        self._future: Future[ElboEstimate] = pool.submit(
            estimate_negative_elbo,
            lambda batch: next(codes),  # the estimator asks for them in the order they were made
            decode_unless_stopped,
            images,
            prior_means=np.asarray(vae.prior.means),
            decoder_gives_logits=True,
            samples=samples,
            batch_size=ELBO_BATCH,
        )
        pool.shutdown(wait=False)  # its one thread ends with the task

    def result(self) -> ElboEstimate:
        """The estimate, once the thread has it (its exception, if it failed)."""
        return self._future.result()

    def stop(self) -> None:
        """Give up (nothing if it has ended), and wait for the thread to see it. A cleanup:
        what the thread raised is `result()`'s to report, not this."""
        self._stopped.set()
        try:
            self._future.result()
        except Exception:
            pass


def onnx_decoder(path: Path, *, threads: int | None = None):
    """`decode(z, classes) -> logits` by ONNX Runtime from the decoder's exported file `path`.

    The bound decodes every digit for every class and sample (160,000 rows for 2,000 digits):
    nearly all of its time. A session with serving's options (one thread, no spinning) is about
    twice as fast per core as Keras on these shapes, in calls of ELBO_CHUNK rows (the smallest
    calls cost the least CPU per row: their activations stay in the core's cache; each row's
    logits are the same in any call size), from `threads` threads at once (default: the cores).
    The logits match Keras's to about 1e-4, which moves a bound averaged over thousands of
    digits by far less than its rounding to 1e-3 nats.
    """
    from concurrent.futures import ThreadPoolExecutor

    from genai_models.vae.serving.runtime import session

    decoder = session(path)
    names = [node.name for node in decoder.get_inputs()]
    workers = threads or os.cpu_count() or 1

    def chunk(rows: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return decoder.run(None, {names[0]: rows[0], names[1]: rows[1]})[0]

    def decode(z: np.ndarray, classes: np.ndarray) -> np.ndarray:
        z = np.ascontiguousarray(z, "float32")
        classes = np.ascontiguousarray(classes, "float32")
        starts = range(0, len(z), ELBO_CHUNK)
        parts = [(z[i : i + ELBO_CHUNK], classes[i : i + ELBO_CHUNK]) for i in starts]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="elbo-decode") as pool:
            return np.concatenate(list(pool.map(chunk, parts)))

    return decode


def _standard_prior_batch(decode, batch, z_mean, z_log_var, rng, samples, logits):
    flat = batch.reshape(len(batch), -1).astype("float64")
    reconstruction = np.zeros(len(batch))
    for _ in range(samples):
        z = z_mean + np.exp(0.5 * z_log_var) * rng.standard_normal(z_mean.shape)
        pixels = np.asarray(decode(z.astype("float32")), dtype="float64").reshape(len(batch), -1)
        reconstruction += _bce(flat, pixels, logits=logits).sum(axis=1)
    reconstruction /= samples
    kl = 0.5 * (np.exp(z_log_var) - 1 - z_log_var + z_mean**2).sum(axis=1)
    return -(reconstruction + kl), reconstruction, kl


def _class_prior_batch(decode, batch, z_mean, z_log_var, prior_means, rng, samples, logits):
    size, num_classes = len(batch), len(prior_means)
    one_hot = np.eye(num_classes, dtype="float32")
    flat = np.tile(batch.reshape(size, -1).astype("float64"), (num_classes, 1))
    classes = np.repeat(one_hot, size, axis=0)  # class-major: rows y*size .. (y+1)*size
    reconstruction = np.zeros((num_classes, size))
    for _ in range(samples):
        z = z_mean + np.exp(0.5 * z_log_var) * rng.standard_normal(z_mean.shape)
        pixels = np.asarray(
            decode(np.tile(z, (num_classes, 1)).astype("float32"), classes), dtype="float64"
        ).reshape(num_classes * size, -1)
        reconstruction += _bce(flat, pixels, logits=logits).sum(axis=1).reshape(num_classes, size)
    reconstruction /= samples
    squared = ((z_mean[None, :, :] - prior_means[:, None, :]) ** 2).sum(axis=2)  # (K, B)
    kl = 0.5 * ((np.exp(z_log_var) - 1 - z_log_var).sum(axis=1)[None, :] + squared)
    elbo = -(reconstruction + kl)  # (K, B)
    top = elbo.max(axis=0)
    bound = top + np.log(np.exp(elbo - top).sum(axis=0)) - math.log(num_classes)
    best = elbo.argmax(axis=0)
    return bound, reconstruction[best, np.arange(size)], kl[best, np.arange(size)]


def _bce(targets, pixels, *, logits: bool):
    if logits:  # log(1 + e^-|l|) + max(l, 0) - t*l : stable for any logit
        return np.maximum(pixels, 0) - pixels * targets + np.log1p(np.exp(-np.abs(pixels)))
    eps = 1e-7  # Keras's clipping, so the source article's VAE is scored exactly as it trains
    p = np.clip(pixels, eps, 1 - eps)
    return -(targets * np.log(p) + (1 - targets) * np.log(1 - p))
