"""The sampler's self-check: a small digit classifier that vets decoded images before serving.

Some codes drawn for a class decode to an ambiguous digit (a 4 half-way to a 9), so samples are
decoded and kept only when this classifier agrees, confidently, that they show that class.
(Fidelity is *measured* with a different classifier, trained separately in bench/, never this one.)
"""

from __future__ import annotations

import numpy as np

from genai_models.vae.backend import keras, layers


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
    images: np.ndarray, labels: np.ndarray, *, epochs: int = 12, seed: int = 0, verbose: int = 0
) -> keras.Model:
    keras.utils.set_random_seed(seed)
    checker = build_checker()
    checker.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    checker.fit(images, labels, batch_size=128, epochs=epochs, verbose=verbose)
    return checker
