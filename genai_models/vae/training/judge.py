"""The independent judge that scores a digit model: an evaluation classifier of its own.

Deliberately unlike the sampler's self-check classifier (wider, batch-normalised, its own
seed), trained on the training digits and used for nothing but grading, so a model is never
graded by a classifier that shaped it. Its penultimate layer (FEATURES_LAYER) is the feature
space where variety (improved precision and recall) is measured.

Two recipes (JUDGES): `plain`, 12 epochs on the digits as they are; `augmented`, 30 epochs on
randomly rotated, shifted and zoomed copies, the more accurate on real held-out digits. Which
one counts is decided by accuracy on real held-out digits only (`most_accurate`), never by what
it says of a model. The benches (bench.vae_quality, bench.fairness) and the per-digit fairness
report (genai_models.vae.training.fairness) all use this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FEATURES_LAYER = "features"
JUDGE_SEED = 1234


def build_evaluation_classifier(*, augmented: bool = False):
    """Deliberately unlike the sampler's checker: wider, batch-normalised, its own seed.

    `augmented`: random rotations, shifts and zooms in front, active only while training, so
    the judge learns the digits' variety rather than 6,000 particular drawings of them.
    """
    from genai_models.vae.backend import keras, layers

    images = keras.Input(shape=(28, 28, 1))
    x = images
    if augmented:
        for augmentation in augmentations():
            x = augmentation(x)
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    # The variety bench measures in this layer's space (bench.variety).
    x = layers.Dense(128, activation="relu", name=FEATURES_LAYER)(x)
    return keras.Model(images, layers.Dense(10, activation="softmax")(x), name="evaluator")


def augmentations() -> list:
    """The augmented recipe's layers, in order: a slight rotation, shift and zoom of each digit,
    active only while training."""
    from genai_models.vae.backend import layers

    return [
        layers.RandomRotation(0.04, fill_mode="constant"),
        layers.RandomTranslation(0.08, 0.08, fill_mode="constant"),
        layers.RandomZoom(0.1, fill_mode="constant"),
    ]


@dataclass
class Judge:
    name: str
    model: object
    accuracy: float  # on the real validation digits
    per_class: list[float]  # recall on the real validation digits of each class
    _extractor: object = field(default=None, repr=False, compare=False)

    def classify(self, images: np.ndarray) -> np.ndarray:
        """Labels of (N, 28, 28) images: uint8 greys as served, or floats in [0, 1]."""
        return np.argmax(predict_in_batches(self.model, unit_images(images)), axis=1)

    def features(self, images: np.ndarray) -> np.ndarray:
        """The penultimate layer's activations (N, 128): the space variety is measured in."""
        if self._extractor is None:
            # One model for every call: a new one each time would trace its predict anew
            # (a report asks twenty times).
            from genai_models.vae.backend import keras

            self._extractor = keras.Model(self.model.inputs, self.model.get_layer(FEATURES_LAYER).output)
        return predict_in_batches(self._extractor, unit_images(images))


PREDICT_BATCH = 500


def predict_in_batches(model, images: np.ndarray) -> np.ndarray:
    """`model.predict(images, batch_size=PREDICT_BATCH)`'s numbers (the same compiled step on
    the same batches), without what `predict` sets up on every call (a data pipeline and its
    threads): a per-digit report makes forty small calls, and that set-up was nearly all of
    their time, many times their computation on a busy machine."""
    return np.concatenate(
        [
            np.asarray(model.predict_on_batch(images[i : i + PREDICT_BATCH]))
            for i in range(0, max(len(images), 1), PREDICT_BATCH)
        ]
    )


def unit_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    scaled = images.astype("float32") / 255.0 if images.dtype == np.uint8 else images.astype("float32")
    return scaled.reshape(-1, 28, 28, 1)


def most_accurate(judges: dict[str, Judge]) -> Judge:
    """The judge whose verdicts count: chosen on real held-out digits only, never on ours."""
    return max(judges.values(), key=lambda judge: judge.accuracy)


def trained_judges(data, names=None, *, epochs: int | None = None) -> dict[str, Judge]:
    """Each judge of `names` (default: every recipe of JUDGES) trained on `data`: pass them to
    `most_accurate` for the one that scores."""
    return {name: train_judge(data, name, epochs=epochs) for name in (names or JUDGES)}


def served_digits(sampler, k: int, samples: int, *, base_seed: int = 0) -> np.ndarray:
    """`samples` images of `/digit k` as the bot serves them: the sampler's own request path,
    MAX_COUNT at a time, each request with its own seed."""
    from genai_models.vae.serving.limits import MAX_COUNT

    return np.concatenate(
        [
            sampler.digits(
                k, count=min(MAX_COUNT, samples - start), seed=1_000_000 * base_seed + 10_000 * k + start
            )
            for start in range(0, samples, MAX_COUNT)
        ]
    )


JUDGES = {"plain": (False, 12), "augmented": (True, 30)}  # name: (augmented, epochs)


def train_judge(data, name: str, *, epochs: int | None = None) -> Judge:
    """The judge `name` (JUDGES) trained on `data.train`, scored on `data.validation`; `epochs`
    overrides its recipe's (tests and training jobs train it briefly)."""
    from genai_models.vae.backend import keras
    from genai_models.vae.training.classifier import fit_classifier

    augmented, recipe_epochs = JUDGES[name]
    epochs = recipe_epochs if epochs is None else epochs
    keras.utils.set_random_seed(JUDGE_SEED)
    model = build_evaluation_classifier(augmented=augmented)
    fit_classifier(model, data.train.images, data.train.labels, learning_rate=1e-3, epochs=epochs)
    predicted = np.argmax(model.predict(data.validation.images, verbose=0), axis=1)
    labels = data.validation.labels
    return Judge(
        name,
        model,
        float(np.mean(predicted == labels)),
        [float(np.mean(predicted[labels == k] == k)) for k in range(10)],
    )
