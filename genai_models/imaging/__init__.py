"""Arrays in, image bytes out: PNG digit grids, morph GIFs and the training chart.

Images are uint8 arrays, bright ink (255) on a black background (0) as in MNIST: what the
sampler serves and what PNG and GIF store, so nothing converts them on the way. Arrays of floats
in [0, 1] go through `to_uint8` first. Only NumPy and Pillow are imported here, so front-ends
can render without loading TensorFlow.
"""

from genai_models.imaging.animation import morph_gif
from genai_models.imaging.charts import loss_curve_png
from genai_models.imaging.grids import grid_png, grid_size
from genai_models.imaging.pixels import to_uint8

__all__ = [
    "grid_png",
    "grid_size",
    "loss_curve_png",
    "morph_gif",
    "to_uint8",
]
