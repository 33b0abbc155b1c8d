"""The sampler's self-check: a small digit classifier that vets decoded images before serving.

Some codes drawn for a class decode to an ambiguous digit (a 4 half-way to a 9), so samples are
decoded and kept only when this classifier agrees, confidently, that they show that class.
(Fidelity is *measured* with a different classifier, trained separately in bench/, never this one.)
"""

from __future__ import annotations

import numpy as np

from genai_models.vae.backend import keras, layers

CHECKER_EPOCHS = 12


def build_checker() -> keras.Model:
    images = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(images)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    x = layers.Dense(128, activation="relu")(x)
    probabilities = layers.Dense(10, activation="softmax", name="class_probabilities")(x)
    return keras.Model(images, probabilities, name="checker")


def train_checker(
    images: np.ndarray, labels: np.ndarray, *, epochs: int = CHECKER_EPOCHS, seed: int = 0, verbose: int = 0
) -> keras.Model:
    keras.utils.set_random_seed(seed)
    checker = build_checker()
    fit_classifier(checker, images, labels, learning_rate=2e-3, epochs=epochs, verbose=verbose)
    return checker


def fit_classifier(
    model: keras.Model, images, labels, *, learning_rate: float, epochs: int, verbose: int = 0
) -> None:
    """Train a softmax classifier (the self-check, the digit-ness model, the judge) the one way
    they all train: Adam on the cross-entropy of integer labels, batches of 128, shuffled each
    epoch; no XLA (Keras switches it off under op determinism anyway)."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    model.fit(images, labels, batch_size=128, epochs=epochs, shuffle=True, verbose=verbose)
