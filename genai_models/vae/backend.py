"""Imports TensorFlow/Keras once, quietly. Everything in `genai_models.vae` that needs them
imports from here, so the cost (~2 s, ~500 MiB) is paid only by paths that decode or train."""

from __future__ import annotations

import os

# TensorFlow's C++ start-up chatter (oneDNN notices, CPU feature guards) is noise to operators.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import tensorflow as tf
from keras import layers, ops

__all__ = ["keras", "layers", "ops", "tf"]
