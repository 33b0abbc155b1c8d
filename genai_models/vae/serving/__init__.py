"""What the bot loads at start-up: the sampler, the model card, users' images, the limits, and
the drawing of the sampler's output into the images users get.

Nothing here trains; `genai_models.vae.training` does. Importing the package is cheap; the
sampler's module imports TensorFlow.
"""
