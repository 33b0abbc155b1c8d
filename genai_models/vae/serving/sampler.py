"""Serving the VAE: load once, decode in batches through ONNX Runtime, thread-safe.

All public methods are synchronous and safe to call from several executor threads at once:
they share only read-only weights and ONNX Runtime sessions, and every call owns its RNG.
What users see (`digits`, `morph`, `handwriting`, `style_map`) comes out as uint8 greys,
0 = background and 255 = ink, the form every PNG and GIF stores, so `genai_models.imaging`
encodes it as it is.
The primitives (`decode`, `encode_mnist`, `classify_mnist`) keep the model's float32 in [0, 1].
Nothing here imports TensorFlow or Keras (serving_files.py does, once, for an older model).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_models.errors import InvalidInputError, ModelFileError
from genai_models.imaging.pixels import to_uint8
from genai_models.vae.serving import serving_files
from genai_models.vae.serving.card import CARD_FILE, PRETRAINED_DIR, read_verified_card
from genai_models.vae.serving.digitness import DigitnessCheck
from genai_models.vae.serving.likeness import DigitLikeness
from genai_models.vae.serving.limits import MAX_COUNT, MAX_FRAMES, MAX_MAP_SIZE, MIN_FRAMES, MIN_MAP_SIZE
from genai_models.vae.serving.preprocess import to_mnist
from genai_models.vae.serving.style import AxisMeaning
from genai_models.vae.serving.vetting import (
    ACCEPT_CONFIDENCE,
    POOL_CANDIDATES,
    POOL_MINIMUM,
    ServingState,
    check_servable,
    class_gaussians,
    pool_candidates,
)

log = logging.getLogger(__name__)

NUM_CLASSES = 10
# What users see is drawn with the decoder's logits multiplied by this: real handwriting is ink
# or paper with thin anti-aliased edges, while the decoder's mean image is a blur of every
# stroke it could be. The judge's features (bench.variety) tell blurred digits from real ones.
# Sharper still costs fidelity: the evaluation judge misreads more ones and eights (the recipe
# sweep in docs/benchmarks.md, "latent_width").
INK_SHARPNESS = 2.0
# /handwriting: below this self-check confidence, an upload without `digit` is not read as any
# digit and is refused.
READ_CONFIDENCE = 0.5
# The self-check names some digit for almost anything (a filled square reads as a 0), so an
# upload is also refused when even the best-fitting style of its digit redraws it this badly
# (summed cross-entropy, nats): above what held-out real digits reach (bench.handwriting counts
# the real digits it refuses), below filled shapes, grids and crosses.
READ_LOSS_LIMIT = 280.0
# A 16-D decoder redraws some shapes well (a bar as a 4, a filled square as a 0), so an upload is
# also refused when its code lies far outside where its digit's training codes lie: its squared
# Mahalanobis distance from them (the card's per-class mean and covariance) above this. Real
# held-out digits exceed it about once in a hundred (bench.handwriting counts them); filled
# squares, bars, crosses and grids lie beyond it.
READ_ATYPICALITY_LIMIT = 60.0
# Letters and symbols pass the three checks above far too often (a "T" as a 7, a "+" as a 4), so
# an upload is also refused when it lies this far from every digit the model writes
# (likeness.py): set so that, with the checks above, held-out real digits are refused at most
# 2% of the time (bench.handwriting counts both the digits and the rendered letters it refuses).
READ_LIKENESS_LIMIT = 45.0
# /handwriting fits the style to the upload on a grid of this many points a side around the
# encoder's code, this far each way (in latent units), all decoded in one batch.
STYLE_FIT_POINTS = 9
STYLE_FIT_REACH = 0.75
# ...and draws each digit at the fitted style, or, where the self-check reads it with less than
# LEGIBLE_CONFIDENCE, at the first of these fractions of the way to the class's typical style.
STYLE_RETREAT = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
# The bar the pools pass: a 16-D style carries more of the upload's own digit's shape into the
# others, and a laxer bar let through cells the evaluation judge misreads (bench.handwriting).
LEGIBLE_CONFIDENCE = ACCEPT_CONFIDENCE
POOL_DRAW_CHUNK = 64  # rows drawn between two checks of draw_pools' stop signals


# A morph's end: a digit 0–9, a user's image bytes, or a 28×28 MNIST-like image.
MorphEnd = int | bytes | np.ndarray


@dataclass(frozen=True)
class Handwriting:
    """An upload's style written as every digit: `images[k]` is digit k in that hand."""

    images: np.ndarray  # (10, 28, 28) uint8 greys
    digit: int  # the digit the upload shows: given by the user, or read by the self-check
    confidence: float  # the self-check's probability of `digit` for the upload
    given: bool  # True when the user said which digit it is
    style: np.ndarray  # (latent_dim,) the code that writes it


@dataclass(frozen=True)
class StyleMap:
    """`grids[k][i, j]`: digit `digits[k]` decoded at row i (top = high y), column j (left =
    low x) of the style plane's square [-extent, extent]²; `points[k]` are real validation
    digits of that class in the same plane."""

    digits: list[int]
    grids: list[np.ndarray]  # each (n, n, 28, 28) uint8 greys
    points: list[np.ndarray]  # each (M, 2)
    extent: float


class DigitSampler:
    """Generates, morphs and encodes MNIST-style digits with a trained VAE (see model.py),
    through `networks` (runtime.OnnxNetworks when serving; the Keras models in training's
    equivalence checks)."""

    def __init__(self, networks, card: dict) -> None:
        self.card = card
        self.networks = networks
        self.version: str = card["version"]
        self.model_dir: Path | None = None  # where `load` found it
        self.latent_dim = int(networks.latent_dim)
        self.class_means, self._class_chol = class_gaussians(card, self.latent_dim)
        # The class prior's means (the KL's targets); real codes spread round them and overlap.
        self._prior_means = np.asarray(card["prior_means"], "float64")
        scatter = card.get("validation_latents", {})
        self._validation_codes = np.asarray(scatter.get("points", []), "float32").reshape(-1, self.latent_dim)
        self._scatter_labels = np.asarray(scatter.get("labels", []), "int32")
        self._lock = threading.Lock()
        # /handwriting's digit-or-not model (digitness.py), set by `load` where the card has one.
        self.digitness: DigitnessCheck | None = None

    def serve(self, state: ServingState, where: Path | str, *, refuse_undertrained: bool = True) -> None:
        """Take the vetted pools, the style plane and its axes (vetting.py). Refuses a model
        that has no acceptable drawing of some digit, unless told not to."""
        if refuse_undertrained:
            check_servable(state, where)
        for k, count in enumerate(state.accepted_counts()):
            if count < POOL_MINIMUM:
                log.warning(
                    "digit %d: only %d of %d samples pass the self-check; serving the %d most convincing",
                    k,
                    count,
                    POOL_CANDIDATES,
                    POOL_MINIMUM,
                )
        candidates = pool_candidates(self.card, self.latent_dim)
        self._pools = [points[keep] for points, keep in zip(candidates, state.served, strict=True)]
        # The model's legible digits (vetting.py): what /handwriting measures uploads against.
        self._legible = [points[keep] for points, keep in zip(candidates, state.legible, strict=True)]
        self.accept_bars = state.bars  # each digit's acceptance bar for its pool
        # Each pool point's drawing, made the first time a request picks it (`_drawn` says
        # which), so a repeated request is a lookup.
        self._pool_images = [np.zeros((len(pool), 28, 28), "uint8") for pool in self._pools]
        self._drawn = [np.zeros(len(pool), bool) for pool in self._pools]
        # What /handwriting measures an upload against (likeness.py): every legible point drawn
        # as its digit, made on the first upload and kept.
        self._likeness: DigitLikeness | None = None
        self._likeness_lock = threading.Lock()
        self.plane = state.plane
        self.style_extent = state.extent
        self._scatter_points = self.plane.coordinates(self._validation_codes, self._scatter_labels)
        # Explore's buttons and the latent map's axes say what each direction does (style.py).
        self.style_axes: AxisMeaning = state.axes

    @classmethod
    def load(
        cls,
        model_dir: Path | str | None = None,
        *,
        cache_dir: Path | str | None = None,
        refuse_undertrained: bool = True,
    ) -> DigitSampler:
        """Load and verify the model in `model_dir` (default: the weights shipped with us),
        served by ONNX Runtime without TensorFlow.

        The export writes the serving files (the networks as ONNX, the vetted pools and the
        style plane) beside the weights. A folder without them (an older export) gets them made
        once, with TensorFlow, into `cache_dir` (default: GENAI_DATA_DIR/model-cache), under
        the weights' hash; later loads read them from there.

        A model with some digit its own self-check never reads in its drawings is refused
        (ModelFileError), unless `refuse_undertrained` is False: the bot's swap rule judges
        trained models by their fidelity instead, and may be set to let any through.
        """
        model_dir = Path(model_dir) if model_dir is not None else PRETRAINED_DIR
        started = time.perf_counter()
        card = read_verified_card(model_dir)
        try:
            sampler = serving_files.load_sampler(
                cls, model_dir, card, cache_dir, refuse_undertrained=refuse_undertrained
            )
            sampler.model_dir = model_dir
        except (KeyError, IndexError, TypeError, ValueError, np.linalg.LinAlgError) as exc:
            raise ModelFileError(
                f"Model card {model_dir / CARD_FILE} does not describe these "
                f"models ({type(exc).__name__}: {exc}): retrain, or copy the "
                "folder again"
            ) from None
        log.debug(
            "loaded VAE %s from %s in %.2f s", sampler.version, model_dir, time.perf_counter() - started
        )
        return sampler

    # -- primitives -------------------------------------------------------------------------

    def decode(self, z: np.ndarray, classes=None) -> np.ndarray:
        """Latent points (N, latent_dim) → the decoder's mean images (N, 28, 28) float32 in
        [0, 1], one batch.

        `classes`: digits (N,) or class probabilities (N, 10) for the decoder; None weights
        each class by p(class | z) under the class prior.
        """
        return sigmoid(self.logits(z, classes))

    def draw(self, z: np.ndarray, classes=None) -> np.ndarray:
        """What users see of `decode(z, classes)`: sharpened ink (INK_SHARPNESS), uint8 greys."""
        return to_uint8(sigmoid(INK_SHARPNESS * self.logits(z, classes)))

    def logits(self, z: np.ndarray, classes) -> np.ndarray:
        """The decoder's pixel logits for `z` and `classes` (as `decode` takes them), before any
        ink: `decode` is their sigmoid, `draw` the sigmoid of them sharpened."""
        z = np.asarray(z, "float32")
        if classes is None:
            weights = self.class_weights(z)
        else:
            classes = np.asarray(classes)
            weights = (
                np.eye(NUM_CLASSES, dtype="float32")[classes]
                if classes.ndim == 1
                else classes.astype("float32")
            )
        return self.networks.logits(z, weights)

    def class_weights(self, z: np.ndarray) -> np.ndarray:
        """p(class | z) under the class prior: a soft class for any point of the plane."""
        squared = ((np.asarray(z, "float64")[:, None, :] - self._prior_means[None]) ** 2).sum(-1)
        logits = -0.5 * squared
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (weights / weights.sum(axis=1, keepdims=True)).astype("float32")

    def classify_mnist(self, image: np.ndarray) -> np.ndarray:
        """The self-check's class probabilities (10,) for an MNIST-like (28, 28) image."""
        return self.classify_images(np.asarray(image)[None])[0]

    def classify_images(self, images: np.ndarray) -> np.ndarray:
        """The self-check's class probabilities (N, 10) for (N, 28, 28) images (uint8 or [0, 1])."""
        return self.networks.classify(_unit_float(images)[..., None])

    def encode(self, image) -> np.ndarray:
        """A user's digit (bytes, PIL image or array, any size/colours) → its latent point."""
        return self.encode_mnist(to_mnist(image))

    def encode_mnist(self, image: np.ndarray) -> np.ndarray:
        """An MNIST-like (28, 28) image (floats in [0, 1] or uint8) → its latent mean."""
        image = _unit_float(image)
        if image.shape != (28, 28):
            raise InvalidInputError(f"expected a 28x28 image, got shape {image.shape}")
        return self.networks.encode(image[None, :, :, None])[0]

    # -- features ---------------------------------------------------------------------------

    def digits(
        self,
        k: int | None = None,
        count: int = 1,
        seed: int | None = None,
        offset: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """`count` (count, 28, 28) uint8 images of digit `k` (random classes when k is None); seeded.

        The drawings of the pool points `sample_latents` picks: vetting drew each pool point
        already, so a request is a lookup and decodes nothing. `offset` moves every point that
        far across the style plane (Explore), which costs one batched decode.
        """
        classes, rows = self._pick(k, count, seed)
        if offset is not None and any(offset):
            z = np.stack([self._pools[c][r] for c, r in zip(classes, rows, strict=True)])
            return self.draw(z + self.plane.shift(offset), classes)
        self._draw_pool_points(classes, rows)
        return np.stack([self._pool_images[c][r] for c, r in zip(classes, rows, strict=True)])

    def drawn_digits(
        self, k: int | None = None, count: int = 1, seed: int | None = None
    ) -> np.ndarray | None:
        """`digits(k, count, seed)` when every point it picks was drawn before (a lookup, cheap
        enough for an event loop), else None. Raises InvalidInputError as `digits` does."""
        classes, rows = self._pick(k, count, seed)
        if not all(self._drawn[c][r] for c, r in zip(classes, rows, strict=True)):
            return None
        return np.stack([self._pool_images[c][r] for c, r in zip(classes, rows, strict=True)])

    def draw_pools(self, stop: threading.Event | None = None) -> None:
        """Draw every pool point not drawn yet (seconds), so that every later `digits` is a
        lookup. Returns early, between two chunks, once `stop` is set or the main thread has
        ended (the process is exiting: a session must not be mid-run when it is torn down)."""
        for k in range(NUM_CLASSES):
            missing = np.flatnonzero(~self._drawn[k])
            for start in range(0, len(missing), POOL_DRAW_CHUNK):
                if (stop is not None and stop.is_set()) or not threading.main_thread().is_alive():
                    return
                rows = missing[start : start + POOL_DRAW_CHUNK]
                self._draw_pool_points(np.full(len(rows), k), rows.tolist())

    def _draw_pool_points(self, classes: np.ndarray, rows: list[int]) -> None:
        missing = sorted({(int(c), r) for c, r in zip(classes, rows, strict=True) if not self._drawn[c][r]})
        if not missing:
            return
        z = np.stack([self._pools[c][r] for c, r in missing])
        images = self.draw(z, np.array([c for c, _ in missing]))
        with self._lock:  # the same pixels whoever draws them first; the flag goes up after
            for (c, r), image in zip(missing, images, strict=True):
                self._pool_images[c][r] = image
                self._drawn[c][r] = True

    def sample_latents(self, k: int | None = None, count: int = 1, seed: int | None = None) -> np.ndarray:
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

    def morph(self, start: MorphEnd, end: MorphEnd, frames: int = 24, seed: int | None = None) -> np.ndarray:
        """A latent walk from `start` to `end`, as (frames, 28, 28) uint8 images.

        Each end is a digit 0–9, a user's image bytes (checked and made MNIST-like here, so
        front-ends pass uploads through untouched) or a 28×28 MNIST-like image, such as one
        `digits` served. Eased at both ends, so played forward then backward (a boomerang GIF)
        it loops smoothly.
        """
        if not MIN_FRAMES <= frames <= MAX_FRAMES:
            raise InvalidInputError(code="bad_frames", minimum=MIN_FRAMES, maximum=MAX_FRAMES, frames=frames)
        rng_seed = np.random.default_rng(seed).integers(2**31, size=2)
        z_a, class_a = self._anchor(start, int(rng_seed[0]))
        z_b, class_b = self._anchor(end, int(rng_seed[1]))
        steps = (1 - np.cos(np.linspace(0.0, math.pi, frames)))[:, None] / 2  # ease in and out
        # Style (z) and class glide together: the digit changes shape and identity at once.
        return self.draw(z_a + steps * (z_b - z_a), class_a + steps * (class_b - class_a))

    # -- the style plane ----------------------------------------------------------------------

    def style_map(self, digit: int | None = None, n: int = 9) -> StyleMap:
        """Digit `digit` (every digit when None) decoded on an n × n grid across the style plane,
        with the real validation digits of each class: one batched decode."""
        _check_class(digit)
        if not MIN_MAP_SIZE <= n <= MAX_MAP_SIZE:
            raise InvalidInputError(f"map size must be between {MIN_MAP_SIZE} and {MAX_MAP_SIZE}, got {n}")
        digits = list(range(NUM_CLASSES)) if digit is None else [digit]
        extent = self.style_extent
        axis = np.linspace(-extent, extent, n)
        plane = np.array([[x, y] for y in axis[::-1] for x in axis], "float32")  # top = high y
        classes = np.repeat(digits, len(plane))
        images = self.draw(self.plane.point(np.tile(plane, (len(digits), 1)), classes), classes)
        grids = list(images.reshape(len(digits), n, n, 28, 28))
        points = [self._scatter_points[self._scatter_labels == k] for k in digits]
        return StyleMap(digits, grids, points, extent)

    def handwriting(self, image, digit: int | None = None) -> Handwriting:
        """A user's digit (bytes, PIL image or array) → the ten digits 0–9 written in its style.

        The encoder gives the upload's code; knowing which digit the upload shows (`digit`, else
        the self-check's reading), the code is then fitted to the upload: a grid of nearby points
        across the style plane decoded as that digit, in one batch, and the one that redraws the
        upload best kept. That point decoded as 0–9 is the answer (`_write_all_digits`).
        """
        _check_class(digit)
        # Bytes are untrusted uploads (to_mnist refuses what is not a safe image); an array is
        # already an MNIST-like 28×28 digit, as for morph ends.
        mnist = _unit_float(image) if isinstance(image, np.ndarray) else to_mnist(image)
        probabilities = self.classify_mnist(mnist)
        read = int(np.argmax(probabilities)) if digit is None else digit
        if digit is None and probabilities[read] < READ_CONFIDENCE:
            raise InvalidInputError(code="image_not_a_digit")
        if self.digitness is not None and self.digitness.refuses(mnist):  # a letter, a symbol, a scribble
            raise InvalidInputError(code="image_not_a_digit")
        if self.unlikeness(mnist) > READ_LIKENESS_LIMIT:  # not near any digit the model writes
            raise InvalidInputError(code="image_not_a_digit")
        code = self.encode_mnist(mnist)
        if self._atypicality(code, read) > READ_ATYPICALITY_LIMIT:  # no one writes a k like it
            raise InvalidInputError(code="image_not_a_digit")
        style, loss = self._fit_style(mnist, code, read)
        if loss > READ_LOSS_LIMIT:  # no handwriting the model can write looks like it
            raise InvalidInputError(code="image_not_a_digit")
        images = self._write_all_digits(style)
        return Handwriting(images, read, float(probabilities[read]), digit is not None, style)

    def unlikeness(self, image: np.ndarray) -> float:
        """How far an MNIST-like (28, 28) image lies from the digits this model writes (see
        likeness.py): small for real digits, larger for letters and symbols."""
        return self._digit_likeness().distance(_unit_float(image))

    def prepare_uploads(self) -> None:
        """Make now what the first /handwriting would otherwise wait seconds for: the model's own
        digits that uploads are compared with (every legible pool point, decoded). Blocking; a
        server runs it in a background thread once the model is loaded. Like draw_pools, it
        stops between two chunks once the main thread has ended (the process is exiting), and
        raises RuntimeError then."""
        self._digit_likeness(until_exit=True)

    def _digit_likeness(self, *, until_exit: bool = False) -> DigitLikeness:
        with self._likeness_lock:
            if self._likeness is None:
                decoded = []
                for k, points in enumerate(self._legible):
                    for start in range(0, len(points), POOL_DRAW_CHUNK):
                        if until_exit and not threading.main_thread().is_alive():
                            raise RuntimeError("the process is exiting")
                        chunk = points[start : start + POOL_DRAW_CHUNK]
                        decoded.append(self.decode(chunk, np.full(len(chunk), k)))
                self._likeness = DigitLikeness.from_decodings(np.concatenate(decoded))
            return self._likeness

    def _write_all_digits(self, style: np.ndarray) -> np.ndarray:
        """Digits 0–9 at `style`; a digit the self-check would not read there is drawn the least
        step nearer its class's typical style that it reads (one batch to draw, one to check).

        A style fitted to one digit can sit where another digit is seldom written (a very
        slanted 1 is common, a very slanted 0 less so): the nearest legible point keeps most of
        the hand instead of drawing a scribble."""
        steps = np.asarray(STYLE_RETREAT, "float32")
        targets = self.class_means.astype("float32")  # (10, latent_dim)
        points = style[None, None] + steps[None, :, None] * (targets[:, None] - style[None, None])
        classes = np.repeat(np.arange(NUM_CLASSES), len(steps))
        images, confidence = self._decode_and_check(points.reshape(-1, self.latent_dim), classes)
        legible = (confidence >= LEGIBLE_CONFIDENCE).reshape(NUM_CLASSES, len(steps))
        # The first legible step of each class; none legible: its typical style (the last step).
        first = np.where(legible.any(axis=1), legible.argmax(axis=1), len(steps) - 1)
        return images.reshape(NUM_CLASSES, len(steps), 28, 28)[np.arange(NUM_CLASSES), first]

    def _atypicality(self, code: np.ndarray, digit: int) -> float:
        """Squared Mahalanobis distance of `code` from the training codes of `digit`."""
        whitened = np.linalg.solve(
            self._class_chol[digit], np.asarray(code, "float64") - self.class_means[digit]
        )
        return float(whitened @ whitened)

    def _fit_style(self, image: np.ndarray, code: np.ndarray, digit: int) -> tuple[np.ndarray, float]:
        """The point near `code` whose decoding as `digit` has the least cross-entropy to
        `image`, and that cross-entropy (nats)."""
        steps = np.linspace(-STYLE_FIT_REACH, STYLE_FIT_REACH, STYLE_FIT_POINTS)
        grid = np.array([[x, y] for x in steps for y in steps], "float32")
        candidates = code[None] + grid @ self.plane.basis.T.astype("float32")  # across the style plane
        logits = self.logits(candidates, np.full(len(candidates), digit)).reshape(len(candidates), -1)
        target = _unit_float(image).reshape(1, -1)
        # Binary cross-entropy from logits, stable for any logit.
        loss = (np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))).sum(1)
        best = int(np.argmin(loss))
        return candidates[best].astype("float32"), float(loss[best])

    # -- helpers ----------------------------------------------------------------------------

    def _anchor(self, end: MorphEnd, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(z, class probabilities) of a morph's end: a digit class, a user's image bytes, or a
        28×28 image."""
        if isinstance(end, (int, np.integer)):
            z, classes = self._sample(int(end), 1, seed)
            return z[0].astype("float64"), np.eye(NUM_CLASSES)[classes[0]]
        if isinstance(end, bytes | bytearray | memoryview):
            end = to_mnist(end)  # untrusted: open_user_image refuses what is not a safe image
        return (self.encode_mnist(end).astype("float64"), self.classify_mnist(end).astype("float64"))

    def _decode_and_check(self, z: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Drawings of `z` as `classes` (uint8), and the checker's confidence that each shows
        its class: the checker vets what users will see."""
        images = self.draw(z, classes)
        return images, self.classify_images(images)[np.arange(len(classes)), classes]


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """The logistic function in float32, through tanh: no overflow for large negative logits."""
    return (0.5 * (1 + np.tanh(0.5 * np.asarray(logits, "float32")))).astype("float32")


def _unit_float(image) -> np.ndarray:
    """An image as the model's float32 in [0, 1]: uint8 greys (as served) are scaled from 0–255."""
    array = np.asarray(image)
    if array.dtype == np.uint8:
        return array.astype("float32") / np.float32(255)
    return array.astype("float32")


def _check_class(k) -> None:
    if k is not None and not (isinstance(k, (int, np.integer)) and 0 <= k <= 9):
        raise InvalidInputError(code="bad_digit", digit=repr(k))
