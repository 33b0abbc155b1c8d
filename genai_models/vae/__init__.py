"""The digit VAE: data, model, training and serving (TensorFlow / Keras 3).

Importing this package is cheap; the model and training import Keras and TensorFlow, serving
does not (serving/runtime.py). The environment
defaults below are set here, before any submodule can import TensorFlow.
"""

from __future__ import annotations

import os

# TensorFlow's C++ start-up chatter (oneDNN notices, CPU feature guards) is noise to operators.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def __getattr__(name: str):
    # `from genai_models.vae import DigitSampler` without importing TensorFlow at package import.
    if name == "DigitSampler":
        from genai_models.vae.serving.sampler import DigitSampler

        return DigitSampler
    raise AttributeError(name)


__all__ = ["DigitSampler"]
