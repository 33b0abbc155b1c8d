"""Serving the VAE: load once, decode in batches through compiled functions, thread-safe.

All public methods are synchronous and safe to call from several executor threads at once:
they share only read-only weights and compiled `tf.function`s, and every call owns its RNG.
What users see (`digits`, `morph`, `latent_map`) comes out as uint8 greys, 0 = background and
255 = ink, the form every PNG and GIF stores, so `genai_models.imaging` encodes it as it is.
The primitives (`decode`, `encode_mnist`, `classify_mnist`) keep the model's float32 in [0, 1].
"""

from __future__ import annotations

import logging
import math
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from genai_models.errors import InvalidInputError, ModelFileError
from genai_models.imaging.pixels import to_uint8
from genai_models.vae import model as _registers_vae_classes  # noqa: F401  (see below)
from genai_models.vae.backend import keras
from genai_models.vae.serving.card import (
    CARD_FILE,
    CHECKER_FILE,
    PRETRAINED_DIR,
    VAE_FILE,
    read_verified_card,
)
from genai_models.vae.serving.limits import MAX_COUNT, MAX_FRAMES, MAX_MAP_SIZE, MIN_FRAMES, MIN_MAP_SIZE
from genai_models.vae.serving.preprocess import to_mnist

# `_registers_vae_classes`: importing model.py registers VAE, Sampling and ClassPrior with Keras,
# so `load_model` rebuilds them in a fresh process without hand-passed custom_objects.

log = logging.getLogger(__name__)

NUM_CLASSES = 10
# A latent point is served only when the self-check classifier is at least this sure that its
# decoding shows the class it was drawn for.
# (0.95 let through thin eights that people and a second classifier read as ones.)
ACCEPT_CONFIDENCE = 0.999
POOL_CANDIDATES = 2048  # drawn per class at load, from the middle of that class's region
# Candidates come from within this fraction of the class's spread: its typical handwriting, not
# the rim where styles blur into other digits; small enough that an independent judge
# (bench.vae_quality) reads the served digits as what was asked, large enough that each pool
# keeps a varied crowd of points (README "Model quality" has the figures).
REGION_SCALE = 0.6
POOL_MINIMUM = 32  # fewer accepted than this: serve the most convincing candidates instead


# A morph's end: a digit 0–9, a user's image bytes, or a 28×28 MNIST-like image.
MorphEnd = int | bytes | np.ndarray


@dataclass(frozen=True)
class LatentMap:
    """`grid[i, j]` decodes the point at row i (top = high y) and column j (left = low x)."""

    grid: np.ndarray  # (n, n, 28, 28) uint8 greys
    points: np.ndarray  # (N, 2) latent means of the validation digits
    labels: np.ndarray  # (N,) their labels


class DigitSampler:
    """Generates, morphs and encodes MNIST-style digits with a trained VAE (see model.py)."""

    def __init__(self, vae, checker, card: dict) -> None:
        self.card = card
        self.vae = vae  # for evaluation (bench/vae_quality.py); serving uses the compiled paths
        self.version: str = card["version"]
        self.latent_dim = int(vae.decoder.inputs[0].shape[-1])
        stats = card["class_latents"]
        self._class_means = np.array([stats[str(k)]["mean"] for k in range(10)], "float64")
        self._class_chol = np.array(
            [np.linalg.cholesky(np.asarray(stats[str(k)]["covariance"]) + 1e-6 * np.eye(self.latent_dim))
             for k in range(10)]
        )
        # The class prior's means: where each class's sector of the plane is centred.
        self._prior_means = np.asarray(card["prior_means"], "float64")
        scatter = card.get("validation_latents", {})
        self._scatter_points = np.asarray(scatter.get("points", []), "float32").reshape(-1, 2)
        self._scatter_labels = np.asarray(scatter.get("labels", []), "int32")
        spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")
        class_spec = tf.TensorSpec([None, NUM_CLASSES], tf.float32, name="class_probabilities")
        images = tf.TensorSpec([None, 28, 28, 1], tf.float32, name="images")
        # Fixed signatures: one trace each, instead of predict()'s per-call set-up, which costs
        # far more than a one-digit decode itself (bench.vae_speed, README "Benchmarks").
        # Called as concrete functions: that skips tf.function's per-call argument matching,
        # a visible share of a one-digit decode.
        self._decode = tf.function(
            lambda z, classes: tf.sigmoid(vae.decoder([z, classes], training=False))[..., 0],
            input_signature=[spec, class_spec]).get_concrete_function()
        self._encode = tf.function(lambda x: vae.encoder(x, training=False)[0],
                                   input_signature=[images]).get_concrete_function()
        self._classify = tf.function(lambda x: checker(x, training=False),
                                     input_signature=[images]).get_concrete_function()
        self._warm_up()
        self._pools, self._pool_images = self._vet_pools()

    @classmethod
    def load(cls, model_dir: Path | str | None = None) -> DigitSampler:
        """Load and verify the models in `model_dir` (default: the weights shipped with us)."""
        model_dir = Path(model_dir) if model_dir is not None else PRETRAINED_DIR
        started = time.perf_counter()
        card = read_verified_card(model_dir)
        vae = _load_model_file(model_dir / VAE_FILE)
        checker = _load_model_file(model_dir / CHECKER_FILE)
        _check_models(model_dir, vae, checker)
        try:
            sampler = cls(vae, checker, card)
        except (KeyError, IndexError, TypeError, ValueError, np.linalg.LinAlgError) as exc:
            raise ModelFileError(f"Model card {model_dir / CARD_FILE} does not describe these "
                                 f"models ({type(exc).__name__}: {exc}): retrain, or copy the "
                                 "folder again") from None
        log.info("loaded VAE %s from %s in %.1f s", sampler.version, model_dir,
                 time.perf_counter() - started)
        return sampler

    def _warm_up(self) -> None:
        for batch in (1, 8):
            self.decode(np.zeros((batch, self.latent_dim), "float32"), np.zeros(batch, "int64"))
            self._classify(tf.zeros((batch, 28, 28, 1)))
            self._encode(tf.zeros((batch, 28, 28, 1)))

    # -- primitives -------------------------------------------------------------------------

    def decode(self, z: np.ndarray, classes=None) -> np.ndarray:
        """Latent points (N, latent_dim) → images (N, 28, 28) float32 in [0, 1], one batch.

        `classes`: digits (N,) or class probabilities (N, 10) for the decoder; None lets the
        plane decide, weighting each class by how close the point is to its sector.
        """
        z = np.asarray(z, "float32")
        if classes is None:
            weights = self.class_weights(z)
        else:
            classes = np.asarray(classes)
            weights = (np.eye(NUM_CLASSES, dtype="float32")[classes] if classes.ndim == 1
                       else classes.astype("float32"))
        return self._decode(tf.convert_to_tensor(z), tf.convert_to_tensor(weights)).numpy()

    def class_weights(self, z: np.ndarray) -> np.ndarray:
        """p(class | z) under the class prior: a soft class for any point of the plane."""
        squared = ((np.asarray(z, "float64")[:, None, :] - self._prior_means[None]) ** 2).sum(-1)
        logits = -0.5 * squared
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (weights / weights.sum(axis=1, keepdims=True)).astype("float32")

    def classify_mnist(self, image: np.ndarray) -> np.ndarray:
        """The self-check's class probabilities (10,) for an MNIST-like (28, 28) image."""
        image = _unit_float(image)
        return self._classify(tf.convert_to_tensor(image[None, :, :, None])).numpy()[0]

    def encode(self, image) -> np.ndarray:
        """A user's digit (bytes, PIL image or array, any size/colours) → its latent point."""
        return self.encode_mnist(to_mnist(image))

    def encode_mnist(self, image: np.ndarray) -> np.ndarray:
        """An MNIST-like (28, 28) image (floats in [0, 1] or uint8) → its latent mean."""
        image = _unit_float(image)
        if image.shape != (28, 28):
            raise InvalidInputError(f"expected a 28x28 image, got shape {image.shape}")
        return self._encode(tf.convert_to_tensor(image[None, :, :, None])).numpy()[0]

    # -- features ---------------------------------------------------------------------------

    def digits(self, k: int | None = None, count: int = 1, seed: int | None = None) -> np.ndarray:
        """`count` (count, 28, 28) uint8 images of digit `k` (random classes when k is None); seeded.

        The decodings of the pool points `sample_latents` picks: vetting decoded each pool point
        already, so a request is a lookup and decodes nothing.
        """
        classes, rows = self._pick(k, count, seed)
        return np.stack([self._pool_images[c][r] for c, r in zip(classes, rows, strict=True)])

    def sample_latents(self, k: int | None = None, count: int = 1,
                       seed: int | None = None) -> np.ndarray:
        """The latent points `digits(k, count, seed)` decodes (with their classes)."""
        return self._sample(k, count, seed)[0]

    def _sample(self, k: int | None, count: int, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Latent points and their classes, drawn (seeded) from the pools vetted at load."""
        classes, rows = self._pick(k, count, seed)
        z = np.stack([self._pools[c][r] for c, r in zip(classes, rows, strict=True)])
        return z, classes

    def _pick(self, k: int | None, count: int, seed: int | None) -> tuple[np.ndarray, list[int]]:
        """Classes and pool rows for one request: a few seeded lookups, no model call."""
        _check_class(k)
        if not 1 <= count <= MAX_COUNT:
            raise InvalidInputError(code="bad_count", maximum=MAX_COUNT, count=count)
        rng = np.random.default_rng(seed)
        classes = rng.integers(0, 10, count) if k is None else np.full(count, k)
        return classes, [int(rng.integers(len(self._pools[c]))) for c in classes]

    def morph(self, start: MorphEnd, end: MorphEnd, frames: int = 24,
              seed: int | None = None) -> np.ndarray:
        """A latent walk from `start` to `end`, as (frames, 28, 28) uint8 images.

        Each end is a digit 0–9, a user's image bytes (checked and made MNIST-like here, so
        front-ends pass uploads through untouched) or a 28×28 MNIST-like image, such as one
        `digits` served. Eased at both ends, so played forward then backward (a boomerang GIF)
        it loops smoothly.
        """
        if not MIN_FRAMES <= frames <= MAX_FRAMES:
            raise InvalidInputError(
                code="bad_frames", minimum=MIN_FRAMES, maximum=MAX_FRAMES, frames=frames)
        rng_seed = np.random.default_rng(seed).integers(2**31, size=2)
        z_a, class_a = self._anchor(start, int(rng_seed[0]))
        z_b, class_b = self._anchor(end, int(rng_seed[1]))
        steps = (1 - np.cos(np.linspace(0.0, math.pi, frames)))[:, None] / 2  # ease in and out
        # Style (z) and class glide together: the digit changes shape and identity at once.
        return to_uint8(self.decode(z_a + steps * (z_b - z_a), class_a + steps * (class_b - class_a)))

    def latent_map(self, n: int = 15) -> LatentMap:
        """The n×n grid of decodings across the latent plane, plus the validation scatter."""
        if self.latent_dim != 2:
            raise InvalidInputError("the latent map needs a 2-D latent space")
        if not MIN_MAP_SIZE <= n <= MAX_MAP_SIZE:
            raise InvalidInputError(
                f"map size must be between {MIN_MAP_SIZE} and {MAX_MAP_SIZE}, got {n}")
        spread = np.sqrt(np.array([np.diag(c @ c.T) for c in self._class_chol]))
        low = (self._class_means - 2 * spread).min(axis=0)
        high = (self._class_means + 2 * spread).max(axis=0)
        xs = np.linspace(low[0], high[0], n)
        ys = np.linspace(high[1], low[1], n)  # top row = highest y, as plots read
        points = np.array([[x, y] for y in ys for x in xs], "float32")
        grid = to_uint8(self.decode(points)).reshape(n, n, 28, 28)
        return LatentMap(grid, self._scatter_points, self._scatter_labels)

    # -- helpers ----------------------------------------------------------------------------

    def _anchor(self, end: MorphEnd, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(z, class probabilities) of a morph's end: a digit class, a user's image bytes, or a
        28×28 image."""
        if isinstance(end, (int, np.integer)):
            z, classes = self._sample(int(end), 1, seed)
            return z[0].astype("float64"), np.eye(NUM_CLASSES)[classes[0]]
        if isinstance(end, bytes | bytearray | memoryview):
            end = to_mnist(end)  # untrusted: open_user_image refuses what is not a safe image
        return (self.encode_mnist(end).astype("float64"),
                self.classify_mnist(end).astype("float64"))

    def _vet_pools(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per class: latent points from its region whose decodings the checker accepts, and
        those decodings as uint8 (a byte a pixel, so keeping every pool's images costs little).

        A 2-D plane cannot keep ten classes apart everywhere, so the edges of a class's region
        decode to other digits; vetting a fixed, seeded pool once, at load, keeps every request
        cheap and deterministic.
        """
        rng = np.random.default_rng(0)
        pools, pool_images = [], []
        for k in range(10):
            noise = rng.standard_normal((POOL_CANDIDATES, self.latent_dim))
            candidates = self._class_means[k] + REGION_SCALE * noise @ self._class_chol[k].T
            images, confidence = map(np.concatenate, zip(*[
                self._decode_and_check(batch, np.full(len(batch), k))
                for batch in np.array_split(candidates, 4)
            ], strict=True))
            keep = confidence >= ACCEPT_CONFIDENCE
            if keep.sum() < POOL_MINIMUM:
                log.warning("digit %d: only %d of %d samples pass the self-check; serving the "
                            "%d most convincing", k, keep.sum(), POOL_CANDIDATES, POOL_MINIMUM)
                keep = np.argsort(confidence)[-POOL_MINIMUM:]
            pools.append(candidates[keep].astype("float32"))
            pool_images.append(to_uint8(images[keep]))
        return pools, pool_images

    def _decode_and_check(self, z: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Decodings of `z` as `classes`, and the checker's confidence that each shows its class."""
        images = self.decode(z, classes)
        probabilities = self._classify(tf.convert_to_tensor(images[..., None])).numpy()
        return images, probabilities[np.arange(len(classes)), classes]


def _load_model_file(path: Path):
    """One Keras file, or a ModelFileError naming it: a file can match its card's hash and still
    be no model (a card rewritten over the wrong file, an archive from elsewhere)."""
    try:
        return keras.saving.load_model(path, compile=False)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, zipfile.BadZipFile) as exc:
        # Keras's message can hold the whole model config: log it, keep the user's line short.
        log.error("loading %s failed: %s", path, exc)
        raise ModelFileError(
            f"Model file {path} is not a loadable Keras model ({type(exc).__name__}): it is "
            "damaged or from an incompatible version; copy it again or retrain"
        ) from None


def _check_models(model_dir: Path, vae, checker) -> None:
    """The two files hold the models serving needs, with the shapes it feeds them."""
    from genai_models.vae.model import VAE

    if not isinstance(vae, VAE):
        raise ModelFileError(f"Model file {model_dir / VAE_FILE} holds a {type(vae).__name__}, "
                             "not the digit VAE: the folder's files are mixed up")
    if tuple(checker.input_shape) != (None, 28, 28, 1) or tuple(checker.output_shape) != (None, 10):
        raise ModelFileError(f"Model file {model_dir / CHECKER_FILE} maps {checker.input_shape} to "
                             f"{checker.output_shape}, not 28x28 digits to 10 classes: wrong file")


def _unit_float(image) -> np.ndarray:
    """An image as the model's float32 in [0, 1]: uint8 greys (as served) are scaled from 0–255."""
    array = np.asarray(image)
    if array.dtype == np.uint8:
        return array.astype("float32") / np.float32(255)
    return array.astype("float32")


def _check_class(k) -> None:
    if k is not None and not (isinstance(k, (int, np.integer)) and 0 <= k <= 9):
        raise InvalidInputError(code="bad_digit", digit=repr(k))
