"""Serving the VAE: load once, decode in batches through compiled functions, thread-safe.

All public methods are synchronous and safe to call from several executor threads at once:
they share only read-only weights and compiled `tf.function`s, and every call owns its RNG.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from genai_models.errors import InvalidInputError, ModelFileError
from genai_models.vae import model as _registers_vae_classes  # noqa: F401  (see below)
from genai_models.vae.backend import keras
from genai_models.vae.card import CHECKER_FILE, VAE_FILE, read_verified_card

# `_registers_vae_classes`: importing model.py registers VAE, Sampling and ClassPrior with Keras,
# so `load_model` rebuilds them in a fresh process without hand-passed custom_objects.

log = logging.getLogger(__name__)

PRETRAINED_DIR = Path(__file__).parent / "pretrained"
MAX_COUNT = 100
MAX_FRAMES = 240
MAX_MAP_SIZE = 40
# A decoded candidate is served only when the self-check classifier is at least this sure.
ACCEPT_CONFIDENCE = 0.9
CANDIDATES_PER_ROUND = 8
ROUNDS = 4


@dataclass(frozen=True)
class LatentMap:
    """`grid[i, j]` decodes the point at row i (top = high y) and column j (left = low x)."""

    grid: np.ndarray  # (n, n, 28, 28) float32 in [0, 1]
    extent: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max of the grid
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
        scatter = card.get("validation_latents", {})
        self._scatter_points = np.asarray(scatter.get("points", []), "float32").reshape(-1, 2)
        self._scatter_labels = np.asarray(scatter.get("labels", []), "int32")
        spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")
        images = tf.TensorSpec([None, 28, 28, 1], tf.float32, name="images")
        # Fixed signatures: one trace each, then ~1 ms per call instead of predict()'s ~46 ms.
        self._decode = tf.function(lambda z: tf.sigmoid(vae.decoder(z, training=False))[..., 0],
                                   input_signature=[spec])
        self._encode = tf.function(lambda x: vae.encoder(x, training=False)[0],
                                   input_signature=[images])
        self._classify = tf.function(lambda x: checker(x, training=False),
                                     input_signature=[images])
        self._warm_up()

    @classmethod
    def load(cls, model_dir: Path | str | None = None) -> DigitSampler:
        """Load and verify the models in `model_dir` (default: the weights shipped with us)."""
        model_dir = Path(model_dir) if model_dir is not None else PRETRAINED_DIR
        started = time.perf_counter()
        card = read_verified_card(model_dir)
        try:
            vae = keras.saving.load_model(model_dir / VAE_FILE, compile=False)
            checker = keras.saving.load_model(model_dir / CHECKER_FILE, compile=False)
        except (OSError, ValueError, TypeError) as exc:
            raise ModelFileError(f"Could not load the models in {model_dir} ({exc})") from exc
        sampler = cls(vae, checker, card)
        log.info("loaded VAE %s from %s in %.1f s", sampler.version, model_dir,
                 time.perf_counter() - started)
        return sampler

    def _warm_up(self) -> None:
        for batch in (1, 8):
            self.decode(np.zeros((batch, self.latent_dim), "float32"))
            self._classify(tf.zeros((batch, 28, 28, 1)))
            self._encode(tf.zeros((batch, 28, 28, 1)))

    # -- primitives -------------------------------------------------------------------------

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Latent points (N, latent_dim) → images (N, 28, 28) float32 in [0, 1], one batch."""
        return self._decode(tf.convert_to_tensor(np.asarray(z, "float32"))).numpy()

    def encode(self, image) -> np.ndarray:
        """A user's digit (bytes, PIL image or array, any size/colours) → its latent point."""
        from genai_models.vae.preprocess import to_mnist

        return self.encode_mnist(to_mnist(image))

    def encode_mnist(self, image: np.ndarray) -> np.ndarray:
        """An MNIST-like (28, 28) image in [0, 1] → its latent mean (latent_dim,)."""
        image = np.asarray(image, "float32")
        if image.shape != (28, 28):
            raise InvalidInputError(f"expected a 28x28 image, got shape {image.shape}")
        return self._encode(tf.convert_to_tensor(image[None, :, :, None])).numpy()[0]

    # -- features ---------------------------------------------------------------------------

    def digits(self, k: int | None = None, count: int = 1, seed: int | None = None) -> np.ndarray:
        """`count` images of digit `k` (or of random classes when k is None); seeded."""
        return self.decode(self.sample_latents(k, count, seed))

    def sample_latents(self, k: int | None = None, count: int = 1,
                       seed: int | None = None) -> np.ndarray:
        """Latent points whose decodings the self-check classifier accepts as class k."""
        _check_class(k)
        if not 1 <= count <= MAX_COUNT:
            raise InvalidInputError(f"count must be between 1 and {MAX_COUNT}, got {count}",
                                    code="bad_count", maximum=MAX_COUNT)
        rng = np.random.default_rng(seed)
        classes = rng.integers(0, 10, count) if k is None else np.full(count, k)
        chosen = np.zeros((count, self.latent_dim))
        best = np.full(count, -1.0)
        pending = np.arange(count)
        for _ in range(ROUNDS):
            # Candidates: `CANDIDATES_PER_ROUND` per pending slot, drawn from its class region.
            slot_classes = np.repeat(classes[pending], CANDIDATES_PER_ROUND)
            noise = rng.standard_normal((len(slot_classes), self.latent_dim))
            candidates = self._class_means[slot_classes] + np.einsum(
                "nij,nj->ni", self._class_chol[slot_classes], noise)
            confidence = self._confidence(candidates, slot_classes).reshape(len(pending), -1)
            candidates = candidates.reshape(len(pending), CANDIDATES_PER_ROUND, -1)
            accepted = confidence >= ACCEPT_CONFIDENCE
            first = np.where(accepted.any(axis=1), accepted.argmax(axis=1), confidence.argmax(axis=1))
            pick = confidence[np.arange(len(pending)), first]
            better = pick > best[pending]
            chosen[pending[better]] = candidates[np.arange(len(pending)), first][better]
            best[pending[better]] = pick[better]
            pending = pending[best[pending] < ACCEPT_CONFIDENCE]
            if len(pending) == 0:
                break
        return chosen.astype("float32")

    def morph(self, start, end, frames: int = 24, seed: int | None = None) -> np.ndarray:
        """A latent walk from `start` to `end` (each a digit 0–9 or a 28×28 MNIST-like image).

        Eased at both ends, so played forward then backward (a boomerang GIF) it loops smoothly.
        """
        if not 2 <= frames <= MAX_FRAMES:
            raise InvalidInputError(f"frames must be between 2 and {MAX_FRAMES}, got {frames}",
                                    code="bad_frames", maximum=MAX_FRAMES)
        rng_seed = np.random.default_rng(seed).integers(2**31, size=2)
        a = self._anchor(start, int(rng_seed[0]))
        b = self._anchor(end, int(rng_seed[1]))
        steps = (1 - np.cos(np.linspace(0.0, math.pi, frames))) / 2  # ease in and out
        return self.decode(a[None, :] + steps[:, None] * (b - a)[None, :])

    def latent_map(self, n: int = 15) -> LatentMap:
        """The n×n grid of decodings across the latent plane, plus the validation scatter."""
        if self.latent_dim != 2:
            raise InvalidInputError("the latent map needs a 2-D latent space")
        if not 2 <= n <= MAX_MAP_SIZE:
            raise InvalidInputError(f"map size must be between 2 and {MAX_MAP_SIZE}, got {n}")
        spread = np.sqrt(np.array([np.diag(c @ c.T) for c in self._class_chol]))
        low = (self._class_means - 2 * spread).min(axis=0)
        high = (self._class_means + 2 * spread).max(axis=0)
        xs = np.linspace(low[0], high[0], n)
        ys = np.linspace(high[1], low[1], n)  # top row = highest y, as plots read
        points = np.array([[x, y] for y in ys for x in xs], "float32")
        grid = self.decode(points).reshape(n, n, 28, 28)
        return LatentMap(grid, (float(low[0]), float(high[0]), float(low[1]), float(high[1])),
                         self._scatter_points, self._scatter_labels)

    # -- helpers ----------------------------------------------------------------------------

    def _anchor(self, end, seed: int) -> np.ndarray:
        if isinstance(end, (int, np.integer)):
            return self.sample_latents(int(end), 1, seed)[0].astype("float64")
        return self.encode_mnist(end).astype("float64")

    def _confidence(self, z: np.ndarray, classes: np.ndarray) -> np.ndarray:
        images = self._decode(tf.convert_to_tensor(z.astype("float32")))
        probabilities = self._classify(images[..., None]).numpy()
        return probabilities[np.arange(len(classes)), classes]


def _check_class(k) -> None:
    if k is not None and not (isinstance(k, (int, np.integer)) and 0 <= k <= 9):
        raise InvalidInputError(f"digit must be 0–9, got {k!r}", code="bad_digit")
