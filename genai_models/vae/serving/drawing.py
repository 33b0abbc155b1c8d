"""The digit features as finished image bytes: the one place their sizes and frame counts live.

The bot's cogs (in its worker pool) and the CLI (`genai-bot digit | morph | latent-map | demo`)
both call these, so a /digit grid, a /morph GIF, a /handwriting grid and a /latent-map are the
same bytes wherever they are drawn. No TensorFlow here: this module imports only
`genai_models.imaging` (NumPy and Pillow) and the catalogue, and takes an already-loaded sampler,
so front-ends import it before any model loads.

Every image drawn here carries its provenance (genai_models.imaging.provenance): the model's
version and the parameters that reproduce it, built by `provenance_of`. `mark` is the
operator's choice of the visible corner mark (GENAI_IMAGE_MARK); the metadata is always written.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import numpy as np

from genai_models import imaging
from genai_models.catalogue import CATALOGUE
from genai_models.imaging.legibility import fade_where
from genai_models.imaging.provenance import Ingredient, Provenance
from genai_models.vae.serving.limits import MAX_SEED

if TYPE_CHECKING:
    import numpy as np

    from genai_models.vae.serving.sampler import DigitSampler, Handwriting, MorphEnd

MORPH_SIZE = 224  # pixels a side: big enough to see, small enough to stay a light GIF
MORPH_FRAME_MS = 50
DEFAULT_FRAMES = 24
LATENT_MAP_CELLS = 11  # /latent-map digit: one digit's plane, cells a side
OVERVIEW_CELLS = 7  # /latent-map: each of the ten small multiples
DIGIT_PANEL = 440  # pixels a side of one digit's panel
OVERVIEW_PANEL = 196  # of each small multiple (7 cells of 28 px: one source pixel per pixel)
# The catalogue's words for a stroke measure (style.MEASURES) growing (+1) or shrinking (-1).
STYLE_WORDS = {
    ("slant", 1): "style_slant_more",
    ("slant", -1): "style_slant_less",
    ("width", 1): "style_width_more",
    ("width", -1): "style_width_less",
    ("ink", 1): "style_ink_more",
    ("ink", -1): "style_ink_less",
}


# The self-check's confidence a drawn cell needs to be shown as its digit: the bar the sampler
# holds /digit's drawings and /handwriting's digits to (sampler.ACCEPT_CONFIDENCE; not imported,
# as importing the sampler module loads TensorFlow).
LEGIBLE_CONFIDENCE = 0.999


def new_seed() -> int:
    """A fresh seed, chosen here rather than by the sampler so the image can say which it was."""
    return secrets.randbelow(MAX_SEED + 1)


def provenance_of(
    sampler: DigitSampler, *, mark: bool, uploads: tuple = (), **parameters: object
) -> Provenance:
    """What an image drawn by `sampler` with `parameters` says about itself; `uploads` are the
    people's images it was made from, recorded by hash only."""
    return Provenance(
        model=f"VAE {sampler.version}",
        parameters=parameters,
        mark=mark,
        ingredients=tuple(Ingredient.of_upload(upload) for upload in uploads),
    )


def draw_digits(
    sampler: DigitSampler,
    digit: int | None,
    *,
    count: int,
    seed: int | None,
    offset: tuple[float, float] | None = None,
    mark: bool = True,
) -> bytes:
    """A PNG grid of `count` digits `digit` (any when None): a lookup and a PNG, no model call;
    `offset` (Explore) moves them across the style plane, for one batched decode."""
    seed = new_seed() if seed is None else seed
    parameters = {"digit": "any" if digit is None else digit, "count": count, "seed": seed}
    if offset is not None:
        parameters["style_offset"] = f"{offset[0]:+.2f},{offset[1]:+.2f}"
    provenance = provenance_of(sampler, mark=mark, feature="digit", **parameters)
    return imaging.grid_png(
        sampler.digits(digit, count=count, seed=seed, offset=offset), provenance=provenance
    )


def draw_drawn_digits(
    sampler: DigitSampler, digit: int | None, *, count: int, seed: int, mark: bool = True
) -> bytes | None:
    """`draw_digits` without an offset when every digit it shows was drawn before: a lookup
    and a PNG (cheaper than a hop to a worker thread for a small grid); None when some digit
    still needs the decoder."""
    images = sampler.drawn_digits(digit, count=count, seed=seed)
    if images is None:
        return None
    parameters = {"digit": "any" if digit is None else digit, "count": count, "seed": seed}
    provenance = provenance_of(sampler, mark=mark, feature="digit", **parameters)
    return imaging.grid_png(images, provenance=provenance)


def draw_handwriting(
    sampler: DigitSampler, image: bytes | np.ndarray, digit: int | None = None, *, mark: bool = True
) -> tuple[bytes, Handwriting]:
    """The ten digits 0–9 in the hand of a user's digit, as /digit count:10's PNG grid.
    The file names the digit the upload was read as, never the upload itself (it is the user's)."""
    written = sampler.handwriting(image, digit)
    provenance = provenance_of(
        sampler, mark=mark, feature="handwriting", upload_read_as=written.digit, uploads=(image,)
    )
    readable = reads_as(sampler, written.images, np.arange(10))
    images = fade_where(written.images, readable)  # never drawn as a digit the check can't read
    return imaging.grid_png(images, provenance=provenance), written


def draw_morph(
    sampler: DigitSampler,
    start: MorphEnd,
    end: MorphEnd,
    *,
    frames: int = DEFAULT_FRAMES,
    seed: int | None = None,
    mark: bool = True,
) -> bytes:
    """A looping GIF of `start` turning into `end` (see `DigitSampler.morph` for what ends are)."""
    seed = new_seed() if seed is None else seed
    walk = sampler.morph(start, end, frames=frames, seed=seed)
    provenance = provenance_of(
        sampler, mark=mark, feature="morph", start=_end_name(start), end=_end_name(end),
        frames=frames, seed=seed,
        uploads=tuple(e for e in (start, end) if not isinstance(e, int | np.integer)),
    )  # fmt: skip
    # The walk is eased at both ends, so forward-then-back loops without a jump.
    return imaging.morph_gif(
        walk, size=MORPH_SIZE, frame_ms=MORPH_FRAME_MS, boomerang=True, provenance=provenance
    )


def draw_latent_map(
    sampler: DigitSampler,
    digit: int | None = None,
    *,
    lang: str = "en",
    cells: int | None = None,
    mark: bool = True,
) -> bytes:
    """The readable latent map as a PNG, its texts in `lang`.

    With `digit`: that digit decoded across the style plane (cells × cells), the real validation
    digits of its class as dots where they encode. Without: small multiples, every digit on the
    same axes. The axes are labelled with what the model's plane does to the handwriting,
    measured (`DigitSampler.style_axes`), not assumed.
    """
    from genai_models.imaging.style_map import style_map_png

    if cells is None:
        cells = LATENT_MAP_CELLS if digit is not None else OVERVIEW_CELLS
    plane = sampler.style_map(digit, cells)
    axes = sampler.style_axes
    panels = map_panels(sampler, plane)
    if digit is None:
        title = CATALOGUE.render("style_map_overview_title", lang)
        legend = CATALOGUE.render("style_map_legend_all", lang)
    else:
        title = CATALOGUE.render("style_map_title", lang, {"digit": digit})
        legend = CATALOGUE.render("style_map_legend_one", lang, {"digit": digit})
    return style_map_png(
        panels,
        extent=plane.extent,
        title=title,
        legend=legend,
        x_label=CATALOGUE.render("style_axis_x", lang, {"meaning": axis_meaning(axes.x, +1, lang)}),
        y_label=CATALOGUE.render("style_axis_y", lang, {"meaning": axis_meaning(axes.y, +1, lang)}),
        panel_size=OVERVIEW_PANEL if digit is None else DIGIT_PANEL,
        provenance=provenance_of(
            sampler, mark=mark, feature="latent-map", digit="all" if digit is None else digit, cells=cells
        ),
    )


def map_panels(sampler: DigitSampler, plane) -> list:
    """One panel per digit of a `StyleMap`; a cell the self-check does not read as the panel's
    digit is drawn faded and struck through, never as if it were that digit."""
    from genai_models.imaging.style_map import StylePanel, digit_colour

    return [
        StylePanel(str(k), fade_where(grid, reads_as(sampler, grid, k)), points, digit_colour(k))
        for k, grid, points in zip(plane.digits, plane.grids, plane.points, strict=True)
    ]


def reads_as(sampler: DigitSampler, images: np.ndarray, digits) -> np.ndarray:
    """Whether the self-check reads each of `images` (..., 28, 28) as its digit (`digits`: one
    per image, or one for all) at the bar /digit's drawings must pass, by the sampler's public
    `classify_mnist`: a cell it merely leans towards reading as its digit is not legible."""
    flat = np.asarray(images).reshape(-1, 28, 28)
    expected = np.broadcast_to(np.asarray(digits), np.shape(images)[:-2]).ravel()
    confidence = np.array([sampler.classify_mnist(image)[k] for image, k in zip(flat, expected, strict=True)])
    return (confidence >= LEGIBLE_CONFIDENCE).reshape(np.shape(images)[:-2])


def axis_meaning(names: tuple[tuple[str, int], ...], direction: int, lang: str) -> str:
    """What moving `direction` (+1 / −1) along an axis does, e.g. "more slanted" or
    "narrower, thinner": the catalogue's words for the measures `style.describe_axes` found."""
    words = [CATALOGUE.render(STYLE_WORDS[measure, sign * direction], lang) for measure, sign in names]
    return ", ".join(words) if words else CATALOGUE.render("style_unknown", lang)


def _end_name(end: MorphEnd) -> int | str:
    """A morph end as the provenance names it: the digit, or that it was the user's image
    (never the image itself, which is the user's)."""
    return int(end) if isinstance(end, int | np.integer) else "image"
