"""Imports Keras once, on the backend that `genai_models.vae` chose (TensorFlow by default).

Everything in `genai_models.vae` that needs Keras imports it from here, so the cost (seconds
and hundreds of MiB with TensorFlow) is paid only by paths that decode or train, never by the CLI's help
or the bot's settings checks.
"""

from __future__ import annotations

import keras
from keras import layers, ops

__all__ = ["keras", "layers", "ops"]
