"""What the bot loads at start-up: the sampler, the model card, users' images, the limits, and
the drawing of the sampler's output into the images users get.

Nothing here trains; `genai_models.vae.training` does. Nothing here imports TensorFlow or
Keras: the networks run on ONNX Runtime (runtime.py). Only an older model without its serving
files has them made once, by training's exporter (serving_files.py).
"""
