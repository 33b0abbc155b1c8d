"""Charts as PNG: the training loss curve (/train-status)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw

from genai_models.imaging.pixels import png_bytes
from genai_models.imaging.plotting import (
    GRID,
    INK,
    PALETTE,
    PAPER,
    PlotArea,
    drawable,
    font,
    nice_ticks,
    padded_range,
    text_size,
)

MIN_WIDTH, MIN_HEIGHT = 160, 120


def loss_curve_png(
    history: Mapping[str, Sequence[float]],
    *,
    title: str | None = None,
    width: int = 640,
    height: int = 360,
    x_label: str = "epoch",
    empty_text: str = "no data yet",
) -> bytes:
    """One line per series of `history` (e.g. {"loss": [...], "val_loss": [...]}) against epochs
    1, 2, …, with tick labels and a legend.

    Non-finite values leave a gap; a series with a single value is drawn as a dot; with no values
    at all the image just says `empty_text`. Pass `x_label` and `empty_text` translated for other
    languages.
    """
    _check_size(width, height)
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    top = 10 + _draw_title(draw, title, width)
    series = {name: np.asarray(values, dtype=np.float64).ravel() for name, values in history.items()}
    finite = [values[np.isfinite(values)] for values in series.values()]
    if not any(values.size for values in finite):
        _draw_centred(draw, empty_text, width, top, height)
        return png_bytes(image, None)  # a chart of training logs: no model drew it

    epochs = max(values.size for values in series.values())
    y0, y1 = padded_range(
        min(float(v.min()) for v in finite if v.size), max(float(v.max()) for v in finite if v.size)
    )
    x0, x1 = (0.5, 1.5) if epochs == 1 else (1.0, float(epochs))
    area = PlotArea(60, top, width - 14, height - 36, x0, x1, y0, y1)
    x_ticks = [t for t in nice_ticks(max(1.0, x0), x1, target=6) if t == int(t)]
    area.draw_axes(draw, x_ticks, nice_ticks(y0, y1))
    _draw_x_label(draw, x_label, area, height)
    for colour, values in zip(PALETTE, series.values(), strict=False):
        _draw_series(draw, area, values, colour)
    _draw_legend(draw, area, list(series))
    return png_bytes(image, None)  # a chart of training logs: no model drew it


def _draw_series(draw: ImageDraw.ImageDraw, area: PlotArea, values: np.ndarray, colour) -> None:
    """Polylines through consecutive finite values; isolated values become dots."""
    run: list[tuple[float, float]] = []
    for epoch, value in enumerate([*values.tolist(), math.nan], start=1):
        if math.isfinite(value):
            run.append(area.to_pixel(epoch, value))
            continue
        if len(run) == 1:
            (x, y), r = run[0], 3
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
        elif run:
            draw.line(run, fill=colour, width=2, joint="curve")
        run = []


def _draw_legend(draw: ImageDraw.ImageDraw, area: PlotArea, names: list[str]) -> None:
    labels = [drawable(name) for name in names]
    line_height = text_size(draw, "Ag")[1] + 6
    width = max(text_size(draw, label)[0] for label in labels) + 34
    right, top = area.right - 8, area.top + 8
    left = right - width
    draw.rectangle([left, top, right, top + line_height * len(labels) + 6], fill=PAPER, outline=GRID)
    for row, (label, colour) in enumerate(zip(labels, PALETTE, strict=False)):
        y = top + 6 + row * line_height + line_height / 2 - 3
        draw.line([(left + 6, y), (left + 24, y)], fill=colour, width=3)
        draw.text((left + 30, y - line_height / 2 + 2), label, fill=INK, font=font())


def _draw_title(draw: ImageDraw.ImageDraw, title: str | None, width: int) -> int:
    """Draw the centred title, if any, and return the height it takes."""
    if not title:
        return 0
    text = drawable(title)
    text_width, text_height = text_size(draw, text)
    draw.text(((width - text_width) / 2, 6), text, fill=INK, font=font())
    return text_height + 10


def _draw_x_label(draw: ImageDraw.ImageDraw, label: str, area: PlotArea, height: int) -> None:
    text = drawable(label)
    text_width, text_height = text_size(draw, text)
    x = (area.left + area.right - text_width) / 2
    draw.text((x, height - text_height - 6), text, fill=INK, font=font())


def _draw_centred(draw: ImageDraw.ImageDraw, text: str, width: int, top: int, bottom: int) -> None:
    text = drawable(text)
    text_width, text_height = text_size(draw, text)
    draw.text(((width - text_width) / 2, (top + bottom - text_height) / 2), text, fill=INK, font=font())


def _check_size(width: int, height: int) -> None:
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"charts need at least {MIN_WIDTH}×{MIN_HEIGHT} pixels, got {width}×{height}")
