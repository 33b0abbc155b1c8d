"""The digit features as finished image bytes: the one place their sizes and frame counts live.

The bot's cogs (in its worker pool) and the CLI (`genai-bot digit | morph | latent-map | demo`)
both call these, so a /digit grid, a /morph GIF and a /latent-map are the same bytes wherever
they are drawn. No TensorFlow here: this module imports only `genai_models.imaging` (NumPy and
Pillow) and takes an already-loaded sampler, so front-ends import it before any model loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genai_models import imaging

if TYPE_CHECKING:
    from genai_models.vae.serving.sampler import DigitSampler, MorphEnd

MORPH_SIZE = 224  # pixels a side: big enough to see, small enough to stay a light GIF
MORPH_FRAME_MS = 50
DEFAULT_FRAMES = 24
LATENT_MAP_CELLS = 15


def draw_digits(sampler: DigitSampler, digit: int | None, *, count: int, seed: int | None) -> bytes:
    """A PNG grid of `count` digits `digit` (any when None): a lookup and a PNG, no model call."""
    return imaging.grid_png(sampler.digits(digit, count=count, seed=seed))


def draw_morph(
    sampler: DigitSampler, start: MorphEnd, end: MorphEnd, *, frames: int = DEFAULT_FRAMES,
    seed: int | None = None,
) -> bytes:
    """A looping GIF of `start` turning into `end` (see `DigitSampler.morph` for what ends are)."""
    walk = sampler.morph(start, end, frames=frames, seed=seed)
    # The walk is eased at both ends, so forward-then-back loops without a jump.
    return imaging.morph_gif(walk, size=MORPH_SIZE, frame_ms=MORPH_FRAME_MS, boomerang=True)


def draw_latent_map(sampler: DigitSampler, cells: int = LATENT_MAP_CELLS) -> tuple[bytes, bytes]:
    """The cells × cells decoded latent plane and the scatter of real digits in it, as PNGs."""
    latent = sampler.latent_map(cells)
    return imaging.manifold_png(latent.grid), imaging.latent_scatter_png(latent.points, latent.labels)
