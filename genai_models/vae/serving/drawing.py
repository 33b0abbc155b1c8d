"""The digit features as finished image bytes: the one place their sizes and frame counts live.

The bot's cogs (in its worker pool) and the CLI (`genai-bot digit | morph | latent-map | demo`)
both call these, so a /digit grid, a /morph GIF and a /latent-map are the same bytes wherever
they are drawn. No TensorFlow here: this module imports only `genai_models.imaging` (NumPy and
Pillow) and takes an already-loaded sampler, so front-ends import it before any model loads.

Every image drawn here carries its provenance (genai_models.imaging.provenance): the model's
version and the parameters that reproduce it, built by `provenance_of`. `mark` is the
operator's choice of the visible corner mark (GENAI_IMAGE_MARK); the metadata is always written.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import numpy as np

from genai_models import imaging
from genai_models.imaging.provenance import Provenance

if TYPE_CHECKING:
    from genai_models.vae.serving.sampler import DigitSampler, MorphEnd

MORPH_SIZE = 224  # pixels a side: big enough to see, small enough to stay a light GIF
MORPH_FRAME_MS = 50
DEFAULT_FRAMES = 24
LATENT_MAP_CELLS = 15


MAX_SEED = 2**31 - 1


def new_seed() -> int:
    """A fresh seed, chosen here rather than by the sampler so the image can say which it was."""
    return secrets.randbelow(MAX_SEED + 1)


def provenance_of(sampler: DigitSampler, *, mark: bool, **parameters: object) -> Provenance:
    """What an image drawn by `sampler` with `parameters` says about itself."""
    return Provenance(model=f"VAE {sampler.version}", parameters=parameters, mark=mark)


def draw_digits(
    sampler: DigitSampler, digit: int | None, *, count: int, seed: int | None, mark: bool = True
) -> bytes:
    """A PNG grid of `count` digits `digit` (any when None): a lookup and a PNG, no model call."""
    seed = new_seed() if seed is None else seed
    provenance = provenance_of(
        sampler, mark=mark, feature="digit", digit="any" if digit is None else digit,
        count=count, seed=seed,
    )  # fmt: skip
    return imaging.grid_png(sampler.digits(digit, count=count, seed=seed), provenance=provenance)


def draw_morph(
    sampler: DigitSampler, start: MorphEnd, end: MorphEnd, *, frames: int = DEFAULT_FRAMES,
    seed: int | None = None, mark: bool = True,
) -> bytes:
    """A looping GIF of `start` turning into `end` (see `DigitSampler.morph` for what ends are)."""
    seed = new_seed() if seed is None else seed
    walk = sampler.morph(start, end, frames=frames, seed=seed)
    provenance = provenance_of(
        sampler, mark=mark, feature="morph", start=_end_name(start), end=_end_name(end),
        frames=frames, seed=seed,
    )  # fmt: skip
    # The walk is eased at both ends, so forward-then-back loops without a jump.
    return imaging.morph_gif(
        walk, size=MORPH_SIZE, frame_ms=MORPH_FRAME_MS, boomerang=True, provenance=provenance
    )


def draw_latent_map(
    sampler: DigitSampler, cells: int = LATENT_MAP_CELLS, *, mark: bool = True
) -> tuple[bytes, bytes]:
    """The cells × cells decoded latent plane and the scatter of real digits in it, as PNGs."""
    latent = sampler.latent_map(cells)
    plane = provenance_of(sampler, mark=mark, feature="latent-map", cells=cells)
    scatter = provenance_of(sampler, mark=mark, feature="latent-scatter")
    return (
        imaging.manifold_png(latent.grid, provenance=plane),
        imaging.latent_scatter_png(latent.points, latent.labels, provenance=scatter),
    )


def _end_name(end: MorphEnd) -> int | str:
    """A morph end as the provenance names it: the digit, or that it was the user's image
    (never the image itself, which is the user's)."""
    return int(end) if isinstance(end, int | np.integer) else "image"
