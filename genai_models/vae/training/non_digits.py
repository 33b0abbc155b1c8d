"""Pictures that are not one digit, made without any font, for the digit-ness model to refuse.

The digit-ness model (digitness.py) learns "one handwritten digit" against these ("outlier
exposure"): pen strokes, Bézier curves, scribbles, crossing lines, outlines and filled blobs,
noise, two digits side by side, quarters of different digits pasted together, and
real digits turned or mirrored so they no longer read as any digit. No letter or symbol of any
font is drawn here: the rendered letters and symbols of tests/fixtures are how the refusals are
measured, so training must never see fonts.

Everything is drawn dark on white at CANVAS px, as an upload would arrive, and the caller puts
it through the uploads' own preprocessing (serving/preprocess.py). Half the shapes are drawn
small and enlarged (soft edges, like an enlarged MNIST digit), half at full size (crisp), so
that edge sharpness says nothing about which side a picture is on.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 112
SMALL = 28  # soft drawings are made at this size and enlarged to CANVAS
# Digits that still read as a digit once turned a quarter, turned upside down or mirrored are
# never made into negatives that way (a turned 0 is a 0, an upside-down 6 a 9).
QUARTER_TURNABLE = (1, 2, 3, 4, 5, 7, 9)
UPSIDE_DOWN_TURNABLE = (3, 4, 7)
MIRRORABLE = (2, 3, 4, 7)


def non_digit_pictures(count: int, digits: np.ndarray, labels: np.ndarray, seed: int) -> list[np.ndarray]:
    """`count` (CANVAS, CANVAS) uint8 pictures, dark ink on white, of no single digit.

    `digits` (N, 28, 28) in [0, 1] (bright ink) and their `labels` are real training digits,
    cut up, combined and turned for some of the pictures.
    """
    rng = np.random.default_rng(seed)
    images = np.asarray(digits, "float32").reshape(-1, 28, 28)
    makers = (
        (_scribble, 3),
        (_bezier_strokes, 3),
        (_crossing_lines, 3),
        (_outline_shape, 2),
        (_filled_blob, 1),
        (_noise, 1),
        (_side_by_side, 1),
        (_collage, 1),
        (_turned_digit, 2),
    )
    weights = np.array([weight for _, weight in makers], "float64")
    picks = rng.choice(len(makers), size=count, p=weights / weights.sum())
    return [makers[pick][0](rng, images, labels) for pick in picks]


def upload_of(digit: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """A real (28, 28) digit in [0, 1] as an upload: dark on white, enlarged to CANVAS; with
    `rng`, sometimes slanted, tilted, thickened, thinned or made crisp, as people's hands, pens
    and scans vary."""
    ink = Image.fromarray(np.round(np.clip(digit, 0, 1) * 255).astype("uint8"))
    ink = np.asarray(ink.resize((CANVAS, CANVAS), Image.Resampling.BILINEAR), "float32") / 255
    if rng is not None:
        ink = _vary_pen(ink, rng)
    return _paper(ink)


# -- what the pictures are made of --------------------------------------------------------------


def _canvas(rng: np.random.Generator) -> tuple[Image.Image, float, ImageDraw.ImageDraw]:
    """A black ink layer (ink = 255) to draw on, soft (small) or crisp (full size), and its scale."""
    side = SMALL if rng.random() < 0.5 else CANVAS
    layer = Image.new("L", (side, side), 0)
    return layer, side / CANVAS, ImageDraw.Draw(layer)


def _finish(layer: Image.Image) -> np.ndarray:
    if layer.size[0] != CANVAS:
        layer = layer.resize((CANVAS, CANVAS), Image.Resampling.BILINEAR)
    return _paper(np.asarray(layer, "float32") / 255)


def _paper(ink: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1] → dark ink on white paper, uint8."""
    return np.round(255 * (1 - np.clip(ink, 0, 1))).astype("uint8")


def _pen(rng: np.random.Generator, scale: float) -> int:
    return max(1, round(rng.uniform(4, 16) * scale))


def _points(rng: np.random.Generator, n: int, scale: float, margin: float = 12) -> list[tuple[float, float]]:
    xy = rng.uniform(margin, CANVAS - margin, size=(n, 2)) * scale
    return [tuple(p) for p in xy]


def _scribble(rng, images, labels) -> np.ndarray:
    """A random walk of the pen: zigzags, loops and tangles."""
    layer, scale, draw = _canvas(rng)
    steps = int(rng.integers(6, 30))
    position = rng.uniform(30, CANVAS - 30, size=2)
    heading = rng.uniform(0, 2 * np.pi)
    points = [tuple(position * scale)]
    for _ in range(steps):
        heading += rng.normal(0, rng.uniform(0.3, 1.8))
        position = np.clip(
            position + rng.uniform(6, 24) * np.array([np.cos(heading), np.sin(heading)]), 4, CANVAS - 4
        )
        points.append(tuple(position * scale))
    draw.line(points, fill=255, width=_pen(rng, scale), joint="curve")
    return _finish(layer)


def _bezier_strokes(rng, images, labels) -> np.ndarray:
    """Two to four cubic Bézier curves: hooks, waves, loops and crossings."""
    layer, scale, draw = _canvas(rng)
    width = _pen(rng, scale)
    # One curve alone is often a 1, a 7 or a 2; two or more seldom make a digit.
    for _ in range(int(rng.integers(2, 5))):
        ends = np.array(_points(rng, 4, scale))
        t = np.linspace(0, 1, 40)[:, None]
        curve = (
            (1 - t) ** 3 * ends[0]
            + 3 * (1 - t) ** 2 * t * ends[1]
            + 3 * (1 - t) * t**2 * ends[2]
            + t**3 * ends[3]
        )
        draw.line([tuple(p) for p in curve], fill=255, width=width, joint="curve")
    return _finish(layer)


def _crossing_lines(rng, images, labels) -> np.ndarray:
    """Two to five straight strokes (crosses, stars, grids, hashes, arrows, ladders)."""
    layer, scale, draw = _canvas(rng)
    width = _pen(rng, scale)
    if rng.random() < 0.3:  # parallel strokes crossed by others, like a grid or a ladder
        spacing = rng.uniform(12, 30)
        angle = rng.uniform(0, np.pi)
        for offset in np.arange(int(rng.integers(2, 4))) * spacing:
            _line_at(draw, angle, offset, rng, scale, width)
        for offset in np.arange(int(rng.integers(1, 4))) * spacing:
            _line_at(draw, angle + rng.uniform(0.8, 2.3), offset, rng, scale, width)
    else:
        # Two strokes that only meet at their ends can be a 7; these cross (an X, a +, a T).
        first = np.array(_points(rng, 2, scale))
        second = _crossing(first, rng, scale)
        for stroke in (first, second, *(_points(rng, 2, scale) for _ in range(int(rng.integers(0, 4))))):
            draw.line([tuple(p) for p in np.asarray(stroke)], fill=255, width=width)
    return _finish(layer)


def _crossing(stroke: np.ndarray, rng, scale: float) -> np.ndarray:
    """A stroke through a point of `stroke` away from its ends, at a clear angle to it."""
    point = stroke[0] + rng.uniform(0.2, 0.8) * (stroke[1] - stroke[0])
    direction = stroke[1] - stroke[0]
    angle = np.arctan2(direction[1], direction[0]) + rng.uniform(0.6, np.pi - 0.6)
    unit = np.array([np.cos(angle), np.sin(angle)])
    return np.array([point - rng.uniform(0, 45) * scale * unit, point + rng.uniform(15, 45) * scale * unit])


def _line_at(draw, angle: float, offset: float, rng, scale: float, width: int) -> None:
    centre = np.array([CANVAS / 2, CANVAS / 2]) + offset * np.array([-np.sin(angle), np.cos(angle)])
    half = rng.uniform(25, 50) * np.array([np.cos(angle), np.sin(angle)])
    draw.line([tuple((centre - half) * scale), tuple((centre + half) * scale)], fill=255, width=width)


def _outline_shape(rng, images, labels) -> np.ndarray:
    """Polygons, arcs and crossed rings drawn in outline (a bare ring would be a 0, so a ring
    always has something crossing or touching it)."""
    layer, scale, draw = _canvas(rng)
    width = _pen(rng, scale)
    kind = rng.integers(3)
    if kind == 0:  # a polygon: triangle, box, star-like
        sides = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * np.pi, sides))
        radius = rng.uniform(25, 50, sides)
        points = [
            (CANVAS / 2 + r * np.cos(a), CANVAS / 2 + r * np.sin(a))
            for a, r in zip(angles, radius, strict=True)
        ]
        draw.line(
            [(x * scale, y * scale) for x, y in [*points, points[0]]], fill=255, width=width, joint="curve"
        )
    elif kind == 1:  # open arcs
        for _ in range(int(rng.integers(1, 4))):
            box = sorted(rng.uniform(10, CANVAS - 10, 2)), sorted(rng.uniform(10, CANVAS - 10, 2))
            start = rng.uniform(0, 360)
            draw.arc(
                [box[0][0] * scale, box[1][0] * scale, box[0][1] * scale, box[1][1] * scale],
                start,
                start + rng.uniform(60, 280),
                fill=255,
                width=width,
            )
    else:  # a ring with strokes through or beside it
        corner = rng.uniform(15, 45, 2)
        draw.ellipse(
            [
                corner[0] * scale,
                corner[1] * scale,
                (CANVAS - corner[0]) * scale,
                (CANVAS - rng.uniform(15, 45)) * scale,
            ],
            outline=255,
            width=width,
        )
        for _ in range(int(rng.integers(1, 3))):
            draw.line(_points(rng, 2, scale, margin=4), fill=255, width=width)
    return _finish(layer)


def _filled_blob(rng, images, labels) -> np.ndarray:
    """A filled shape or two: ink puddles, boxes, dots."""
    layer, scale, draw = _canvas(rng)
    for _ in range(int(rng.integers(1, 3))):
        if rng.random() < 0.5:
            draw.polygon(_points(rng, int(rng.integers(3, 9)), scale), fill=255)
        else:
            x, y = sorted(rng.uniform(5, CANVAS - 5, 2)), sorted(rng.uniform(5, CANVAS - 5, 2))
            draw.ellipse([x[0] * scale, y[0] * scale, x[1] * scale, y[1] * scale], fill=255)
    return _finish(layer)


def _noise(rng, images, labels) -> np.ndarray:
    """Speckle, smudges or a scatter of dots."""
    if rng.random() < 0.5:
        coarse = rng.integers(3, 14)
        field = rng.random((coarse, coarse)).astype("float32")
        image = Image.fromarray(np.round(field * 255).astype("uint8"))
        ink = np.asarray(image.resize((CANVAS, CANVAS), Image.Resampling.BICUBIC), "float32") / 255
        return _paper(np.clip((ink - rng.uniform(0.3, 0.7)) * rng.uniform(2, 6), 0, 1))
    layer, scale, draw = _canvas(rng)
    radius = rng.uniform(2, 8) * scale
    for x, y in _points(rng, int(rng.integers(3, 25)), scale):
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=255)
    return _finish(layer)


def _side_by_side(rng, images, labels) -> np.ndarray:
    """Two digits next to each other, or one above the other: a number, not a digit."""
    first, second = images[rng.integers(len(images), size=2)]
    pair = np.concatenate([first, second], axis=1 if rng.random() < 0.8 else 0)
    height, width = pair.shape
    picture = Image.fromarray(np.round(pair * 255).astype("uint8")).resize(
        (CANVAS if width >= height else CANVAS // 2, CANVAS if height >= width else CANVAS // 2),
        Image.Resampling.BILINEAR,
    )
    ink = np.zeros((CANVAS, CANVAS), "float32")
    ink[: picture.size[1], : picture.size[0]] = np.asarray(picture, "float32") / 255
    return _paper(_vary_pen(ink, rng))


def _collage(rng, images, labels) -> np.ndarray:
    """Quarters of four different digits pasted together. (Halves are left out: the top of a 9
    on the bottom of a 4 is still a fair 9 or 4, and would teach the model to refuse digits.)"""
    classes = rng.choice(10, size=4, replace=False)
    picks = [rng.choice(np.flatnonzero(labels == k)) for k in classes]
    ink = images[picks[0]].copy()
    ink[:14, 14:] = images[picks[1]][:14, 14:]
    ink[14:, :14] = images[picks[2]][14:, :14]
    ink[14:, 14:] = images[picks[3]][14:, 14:]
    return upload_of(ink, rng)


def _turned_digit(rng, images, labels) -> np.ndarray:
    """A real digit turned a quarter, upside down or mirrored, where it then reads as no digit."""
    how = rng.integers(3)
    allowed = (QUARTER_TURNABLE, UPSIDE_DOWN_TURNABLE, MIRRORABLE)[how]
    digit = images[rng.choice(np.flatnonzero(np.isin(labels, allowed)))]
    turned = (
        np.rot90(digit, k=int(rng.choice([1, 3])))
        if how == 0
        else np.rot90(digit, 2)
        if how == 1
        else digit[:, ::-1]
    )
    return upload_of(np.ascontiguousarray(turned), rng)


def _vary_pen(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink at CANVAS px slanted or tilted, and drawn with a thicker or thinner pen or with crisp
    edges, at random."""
    if rng.random() < 0.5:  # a slant or a tilt of the page
        layer = Image.fromarray(np.round(ink * 255).astype("uint8"))
        shear = rng.uniform(-0.3, 0.3)
        layer = layer.rotate(rng.uniform(-15, 15), Image.Resampling.BILINEAR).transform(
            layer.size,
            Image.Transform.AFFINE,
            (1, shear, -shear * CANVAS / 2, 0, 1, 0),
            Image.Resampling.BILINEAR,
        )
        ink = np.asarray(layer, "float32") / 255
    choice = rng.random()
    if choice < 0.25:
        from PIL import ImageFilter

        size = int(rng.choice([3, 5, 7, 9]))
        layer = Image.fromarray(np.round(ink * 255).astype("uint8")).filter(ImageFilter.MaxFilter(size))
        return np.asarray(layer, "float32") / 255
    if choice < 0.4:
        from PIL import ImageFilter

        layer = Image.fromarray(np.round(ink * 255).astype("uint8")).filter(ImageFilter.MinFilter(3))
        thinned = np.asarray(layer, "float32") / 255
        return thinned if thinned.max() > 0.5 else ink
    if choice < 0.6:
        return (ink > rng.uniform(0.3, 0.6)).astype("float32")
    return ink
