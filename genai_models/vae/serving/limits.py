"""How much one request may ask of the digit model: the sampler enforces these, and callers that
want to refuse bad input before loading the model (the CLI) check them too.

No TensorFlow here (nothing but constants), so checking them costs nothing.
"""

from __future__ import annotations

MAX_COUNT = 100  # digits in one grid
MIN_FRAMES = 2  # a morph needs both of its ends
MAX_FRAMES = 240
MIN_MAP_SIZE = 2  # latent-map grid side: at least the two corners of each axis
MAX_MAP_SIZE = 40
# Seeds of drawings and of training runs: what a signed 32-bit integer holds, so every
# random generator the models use accepts it.
MAX_SEED = 2**31 - 1
