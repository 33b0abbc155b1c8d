"""What a model file determines about serving, computed once: the vetted pools, the style plane,
and what its axes do. NumPy plus the sampler's own drawing and self-check.

For a given model the sampler always draws the same seeded candidates per class. A digit's pool
keeps those its self-check reads as the digit at that digit's acceptance bar (`accept_bars`:
the model card's, chosen by the fairness bench, else ACCEPT_CONFIDENCE). The candidates the
self-check reads at ACCEPT_CONFIDENCE are the model's legible digits whatever the bars: the
plane is fitted to their drawings (its axes named from a grid decoded across it), and
/handwriting measures uploads against them (likeness.py), so a laxer bar for /digit changes
neither. All of that is a pure function of the weights and the card's bars, so the export
computes it (`vet`) and writes it beside them (`write_serving_state`), and loading reads it back
(`read_serving_state`): a bot, a shard or a CLI command starts without decoding thousands of
digits. A model without the file (an older export, a hand-copied folder) is vetted on its first
load and the result cached (sampler.py).

What is stored is compact: which candidates are served and which are legible (a bit each), not
the latents (the seeded candidates are recomputed from the training codes in milliseconds) nor
their drawings (drawn when a request picks them).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_models.errors import ModelFileError
from genai_models.vae.files import npz_bytes, write_atomic
from genai_models.vae.serving.plane import StylePlane
from genai_models.vae.serving.style import AxisMeaning, describe_axes, stroke_measures

SERVING_STATE_FILE = "serving_state.npz"
# Bump when what `vet` computes changes: a state or cache of another version is recomputed.
SERVING_STATE_VERSION = 2
NUM_CLASSES = 10
# A latent point is legible when the self-check classifier is at least this sure that its
# drawing shows the class it was drawn for; /digit serves legible points only, unless the model
# card sets a bar per digit (ACCEPT_FIELD).
# (0.95 for every digit let through thin eights that people and a second classifier read as ones.)
ACCEPT_CONFIDENCE = 0.999
# The card's per-digit bars, card["serving"][ACCEPT_FIELD]: ten numbers chosen by the fairness
# bench (`python -m bench.fairness --sweep-bars`) where the independent judge still reads the
# served digits as asked. A bar as strict as ACCEPT_CONFIDENCE for a digit whose rarer styles
# the self-check doubts (nines) throws those styles away, and with them the digit's variety.
ACCEPT_FIELD = "accept_confidence"
# No bar below this: the self-check must read every served drawing as its digit, not another.
MIN_ACCEPT_CONFIDENCE = 0.5
POOL_CANDIDATES = 2048  # drawn per class
POOL_SEED = 0
# Fewer accepted than this for a digit: its pool is its most convincing candidates instead.
POOL_MINIMUM = 32
# Models without the training digits' codes (card schema < 3) draw candidates from within this
# fraction of the class's Gaussian spread: its typical handwriting, not the rim where styles
# blur into other digits.
REGION_SCALE = 0.6
DEFAULT_STYLE_EXTENT = 3.0  # a model without validation codes: about where N(0, I)-ish codes lie
AXIS_PROBE_CELLS = 7  # per side, per digit, when measuring what the axes do


@dataclass(frozen=True)
class ServingState:
    """`served[k, i]`: candidate i of digit k is in its pool; `accepted[k]`: how many of
    digit k's candidates passed the self-check at `bars[k]` (the pool is those, or, when fewer
    than POOL_MINIMUM passed, the most convincing POOL_MINIMUM); `legible[k, i]`: the same at
    ACCEPT_CONFIDENCE; the style plane, its half-width `extent`, and what its axes do."""

    served: np.ndarray  # (10, POOL_CANDIDATES) bool
    accepted: np.ndarray  # (10,) int
    plane: StylePlane
    extent: float
    axes: AxisMeaning
    legible: np.ndarray  # (10, POOL_CANDIDATES) bool
    bars: np.ndarray  # (10,) each digit's acceptance bar

    def accepted_counts(self) -> list[int]:
        return [int(count) for count in self.accepted]


def pool_candidates(card: dict, latent_dim: int) -> list[np.ndarray]:
    """Per class, the seeded candidate points (POOL_CANDIDATES, latent_dim) float32: the
    codes of that class's training digits, each jittered within its own posterior spread, so
    the pool varies as the training digits do. Older models: a Gaussian region around the class
    mean."""
    rng = np.random.default_rng(POOL_SEED)
    latents = card.get("training_latents")
    means, chols = class_gaussians(card, latent_dim)
    candidates = []
    for k in range(NUM_CLASSES):
        if latents is not None and np.any(latents["labels"] == k):
            members = np.flatnonzero(latents["labels"] == k)
            picked = rng.choice(members, POOL_CANDIDATES)
            noise = rng.standard_normal((POOL_CANDIDATES, latent_dim))
            points = latents["points"][picked] + latents["spreads"][picked] * noise
        else:
            noise = rng.standard_normal((POOL_CANDIDATES, latent_dim))
            points = means[k] + REGION_SCALE * noise @ chols[k].T
        candidates.append(points.astype("float32"))
    return candidates


def accept_bars(card: dict) -> np.ndarray:
    """Each digit's acceptance bar (10,): the card's (ACCEPT_FIELD), else ACCEPT_CONFIDENCE.
    A ValueError when the card's are not ten numbers from MIN_ACCEPT_CONFIDENCE up to 1."""
    raw = (card.get("serving") or {}).get(ACCEPT_FIELD)
    if raw is None:
        return np.full(NUM_CLASSES, ACCEPT_CONFIDENCE)
    bars = np.asarray(raw, "float64")
    if bars.shape != (NUM_CLASSES,) or not ((bars >= MIN_ACCEPT_CONFIDENCE) & (bars < 1)).all():
        raise ValueError(
            f"serving.{ACCEPT_FIELD} must be {NUM_CLASSES} numbers from {MIN_ACCEPT_CONFIDENCE} "
            f"up to 1, got {raw!r}"
        )
    return bars


def class_gaussians(card: dict, latent_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Each class's mean code (10, D) and the Cholesky factor of its covariance (10, D, D)."""
    stats = card["class_latents"]
    means = np.array([stats[str(k)]["mean"] for k in range(NUM_CLASSES)], "float64")
    chols = np.array(
        [
            np.linalg.cholesky(np.asarray(stats[str(k)]["covariance"]) + 1e-6 * np.eye(latent_dim))
            for k in range(NUM_CLASSES)
        ]
    )
    return means, chols


def vet(
    sampler,
    candidates: list[np.ndarray],
    validation_codes: np.ndarray,
    validation_labels: np.ndarray,
    bars: np.ndarray | None = None,
) -> ServingState:
    """Draw every candidate with `sampler.draw`; serve those `sampler.classify_images` reads
    as their class at the class's bar (`bars`, default ACCEPT_CONFIDENCE); fit the style plane
    on the legible drawings (at ACCEPT_CONFIDENCE) and name its axes."""
    bars = np.full(NUM_CLASSES, ACCEPT_CONFIDENCE) if bars is None else np.asarray(bars, "float64")
    served, legible, accepted, codes, drawings = [], [], [], [], []
    for k, points in enumerate(candidates):
        classes = np.full(len(points), k)
        images = sampler.draw(points, classes)
        confidence = sampler.classify_images(images)[np.arange(len(points)), classes]
        keep = _passing(confidence, bars[k])
        accepted.append(int((confidence >= bars[k]).sum()))
        served.append(keep)
        legible.append(_passing(confidence, ACCEPT_CONFIDENCE))
        codes.append(points[legible[-1]])
        drawings.append(images[legible[-1]])
    served, legible = np.stack(served), np.stack(legible)
    labels = np.repeat(np.arange(NUM_CLASSES), legible.sum(axis=1))
    measures = stroke_measures(np.concatenate(drawings))[:, :2]  # slant, width
    plane = StylePlane.fit(sampler.class_means, np.concatenate(codes), labels, measures)
    extent = style_extent(plane.coordinates(validation_codes, validation_labels))
    axes = _measure_axes(sampler, plane, extent)
    return ServingState(served, np.array(accepted), plane, extent, axes, legible, bars)


def _passing(confidence: np.ndarray, bar: float) -> np.ndarray:
    """The candidates at or above `bar`, or, when fewer than POOL_MINIMUM are, the most
    convincing POOL_MINIMUM."""
    keep = confidence >= bar
    if keep.sum() < POOL_MINIMUM:
        keep = np.zeros(len(confidence), bool)
        keep[np.argsort(confidence, kind="stable")[-POOL_MINIMUM:]] = True
    return keep


def style_extent(points: np.ndarray) -> float:
    """Half the side of the square of the style plane that real digits fill (95% of the
    validation codes lie within it on each axis), rounded up to a half unit."""
    if not len(points):
        return DEFAULT_STYLE_EXTENT
    return float(np.ceil(2 * np.percentile(np.abs(points), 95, axis=0).max()) / 2)


def _measure_axes(sampler, plane: StylePlane, extent: float) -> AxisMeaning:
    """What moving along x and along y does to the digits, measured on every digit drawn on a
    grid across the plane (one batched decode)."""
    axis = np.linspace(-extent, extent, AXIS_PROBE_CELLS)
    grid = np.array([[x, y] for y in axis[::-1] for x in axis], "float32")  # top = high y
    classes = np.repeat(np.arange(NUM_CLASSES), len(grid))
    images = sampler.draw(plane.point(np.tile(grid, (NUM_CLASSES, 1)), classes), classes)
    cells = AXIS_PROBE_CELLS
    return describe_axes(list(images.reshape(NUM_CLASSES, cells, cells, 28, 28)), axis)


def check_servable(state: ServingState, where: Path | str) -> None:
    """A ModelFileError when some digit has no drawing the self-check accepts: such a model
    would serve near-blank squares for it."""
    missing = [k for k, count in enumerate(state.accepted_counts()) if count == 0]
    if missing:
        digits = ", ".join(map(str, missing))
        raise ModelFileError(
            f"The model in {where} draws no {digits} that its own self-check reads as "
            f"{'that digit' if len(missing) == 1 else 'those digits'} (of {POOL_CANDIDATES} "
            "tries each): it is undertrained; train it for more epochs, or serve another model"
        )


def write_serving_state(path: Path, state: ServingState, *, key: str = "") -> None:
    """Write `state` to `path` (an .npz whose bytes depend only on the state)."""
    axes = {"x": [list(name) for name in state.axes.x], "y": [list(name) for name in state.axes.y]}
    write_atomic(
        path,
        npz_bytes(
            {
                "version": np.int32(SERVING_STATE_VERSION),
                "key": np.array(key),
                "served": np.packbits(state.served, axis=1),
                "legible": np.packbits(state.legible, axis=1),
                "candidates": np.int32(state.served.shape[1]),
                "accepted": np.asarray(state.accepted, "int32"),
                "bars": np.asarray(state.bars, "float64"),
                "basis": np.asarray(state.plane.basis, "float64"),
                "anchors": np.asarray(state.plane.anchors, "float64"),
                "extent": np.float64(state.extent),
                "axes": np.array(json.dumps(axes)),
            }
        ),
    )


def read_serving_state(path: Path, *, key: str = "") -> ServingState | None:
    """The state in `path`; None when it is missing, of another version or (`key`) another
    model. A damaged file raises ModelFileError."""
    if not path.is_file():
        return None
    try:
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as archive:
            if _scalar(archive["version"]) != SERVING_STATE_VERSION or _scalar(archive["key"]) != key:
                return None
            candidates = int(_scalar(archive["candidates"]))
            served = np.unpackbits(archive["served"], axis=1)[:, :candidates].astype(bool)
            legible = np.unpackbits(archive["legible"], axis=1)[:, :candidates].astype(bool)
            accepted = archive["accepted"].astype("int64")
            bars = archive["bars"].astype("float64")
            plane = StylePlane(archive["basis"], archive["anchors"])
            axes = json.loads(_scalar(archive["axes"]))
            extent = float(_scalar(archive["extent"]))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"Model file {path} is unreadable ({exc}): copy it again or retrain") from None
    if (
        served.shape != (NUM_CLASSES, POOL_CANDIDATES)
        or legible.shape != served.shape
        or accepted.shape != (NUM_CLASSES,)
        or bars.shape != (NUM_CLASSES,)
    ):
        raise ModelFileError(
            f"Model file {path} vets {served.shape} candidates, not "
            f"{(NUM_CLASSES, POOL_CANDIDATES)}: it is from another version"
        )
    meaning = AxisMeaning(*(tuple((name, int(sign)) for name, sign in axes[axis]) for axis in "xy"))
    return ServingState(served, accepted, plane, extent, meaning, legible, bars)


def _scalar(array: np.ndarray):
    """The one value of an array that npz_bytes stored (it stores scalars as one-element arrays)."""
    return array.reshape(-1)[0].item()
