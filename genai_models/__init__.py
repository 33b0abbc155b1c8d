"""Generative models for genai-bot: a poet (OpenAI-compatible chat) and a digit VAE (Keras 3).

Nothing here imports Discord; the bot package routes commands to these services.
TensorFlow is imported lazily by `genai_models.vae` so that light paths stay light.
"""

from genai_models.errors import GenAIError

__all__ = ["GenAIError"]
