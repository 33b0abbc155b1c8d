"""What the bot loads at start-up: the sampler, the model card, users' images and the limits.

Nothing here trains; `genai_models.vae.training` does. Importing the package is cheap; the
sampler's module imports TensorFlow.
"""
