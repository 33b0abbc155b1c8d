"""The latent map people can read: digits decoded across the style plane, with real digits on it.

One panel per digit: that digit decoded on an n × n grid of the plane's square, the real digits
of its class as coloured dots at their codes, tick values on both axes and, under and beside the
panels, what each axis does to the handwriting ("more slanted →"). Several panels (one per digit)
make the overview's small multiples, all on the same axes so they read together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from genai_models.imaging.pixels import png_bytes, resize_nearest
from genai_models.imaging.plotting import INK, PALETTE, PAPER, drawable, font, nice_ticks, text_size
from genai_models.imaging.provenance import Provenance

MARGIN = 10
TICK_SPACE = 34  # left of and under each panel, for tick labels
RING_EDGE = (0, 0, 0)  # the dark ring round each real digit's coloured one


@dataclass(frozen=True)
class StylePanel:
    caption: str
    grid: np.ndarray  # (n, n, H, W) uint8 greys, row 0 = the highest y
    points: np.ndarray  # (M, 2) real digits' codes, drawn as dots
    colour: tuple[int, int, int]


def style_map_png(
    panels: list[StylePanel],
    *,
    extent: float,
    x_label: str,
    y_label: str,
    title: str,
    legend: str,
    columns: int = 5,
    panel_size: int = 252,
    provenance: Provenance | None = None,
) -> bytes:
    """Panels `columns` to a row on white, each `panel_size` pixels a side, with labelled axes.

    `x_label` / `y_label` say what each axis does (the caller measures it); `legend` says what
    the dots are. Text outside the charts' characters is folded (plotting.drawable).
    """
    if not panels:
        raise ValueError("a style map needs at least one panel")
    columns = min(columns, len(panels))
    rows = -(-len(panels) // columns)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    line = text_size(probe, "Ag")[1] + 6
    cell_w = TICK_SPACE + panel_size + MARGIN
    cell_h = line + panel_size + TICK_SPACE
    width = MARGIN + line + columns * cell_w + MARGIN
    height = MARGIN + 2 * line + rows * cell_h + 2 * line + MARGIN
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN), drawable(title), fill=INK, font=font())
    top = MARGIN + 2 * line
    for index, panel in enumerate(panels):
        row, column = divmod(index, columns)
        left = MARGIN + line + column * cell_w + TICK_SPACE
        _draw_panel(image, draw, panel, left, top + row * cell_h + line, panel_size, extent, line)
    bottom = top + rows * cell_h
    _centred(draw, drawable(x_label), MARGIN + line, width - MARGIN, bottom)
    _swatch_legend(draw, drawable(legend), panels, MARGIN, bottom + line)
    _vertical_label(image, drawable(y_label), MARGIN, top, bottom)
    return png_bytes(image, provenance)


def _draw_panel(
    image, draw, panel: StylePanel, left: int, top: int, size: int, extent: float, line: int
) -> None:
    n, m, height, width = panel.grid.shape
    tiles = resize_nearest(panel.grid.reshape(n * m, height, width), size // n, size // m)
    tile = tiles.shape[1]
    canvas = np.zeros((n * tile, m * tile), np.uint8)
    for index, pixels in enumerate(tiles):
        row, column = divmod(index, m)
        canvas[row * tile : (row + 1) * tile, column * tile : (column + 1) * tile] = pixels
    side = n * tile
    image.paste(Image.fromarray(canvas).convert("RGB"), (left, top))

    def to_pixel(x: float, y: float) -> tuple[float, float]:
        return left + (x + extent) / (2 * extent) * side, top + (extent - y) / (2 * extent) * side

    # Real digits as hollow rings, a dark one round one in the digit's colour: the glyphs stay
    # visible through them, and they show on black cells and on white ink alike (a filled grey
    # dot vanished on the grey edges of the 7's glyphs and hid the strokes under it).
    radius = max(2.0, side / 140)
    for x, y in np.asarray(panel.points, "float64").reshape(-1, 2):
        if abs(x) <= extent and abs(y) <= extent:
            px, py = to_pixel(x, y)
            draw.ellipse(
                [px - radius - 1, py - radius - 1, px + radius + 1, py + radius + 1], outline=RING_EDGE
            )
            draw.ellipse([px - radius, py - radius, px + radius, py + radius], outline=panel.colour)
    draw.rectangle([left - 1, top - 1, left + side, top + side], outline=INK)
    caption_width, _ = text_size(draw, panel.caption)
    draw.text(
        (left + (side - caption_width) / 2, top - line),
        drawable(panel.caption),
        fill=panel.colour,
        font=font(),
    )
    for value in nice_ticks(-extent, extent, target=4):
        px, _ = to_pixel(value, 0)
        label = f"{value:g}"
        label_width, label_height = text_size(draw, label)
        draw.line([(px, top + side), (px, top + side + 3)], fill=INK)
        draw.text((px - label_width / 2, top + side + 5), label, fill=INK, font=font())
        _, py = to_pixel(0, value)
        draw.line([(left - 4, py), (left - 1, py)], fill=INK)
        draw.text((left - 7 - label_width, py - label_height / 2 - 2), label, fill=INK, font=font())


def _centred(draw, text: str, left: int, right: int, top: int) -> None:
    text_width, _ = text_size(draw, text)
    draw.text((left + (right - left - text_width) / 2, top), text, fill=INK, font=font())


def _swatch_legend(draw, legend: str, panels: list[StylePanel], left: int, top: int) -> None:
    x = left
    for panel in panels:
        draw.ellipse([x, top + 3, x + 8, top + 11], fill=panel.colour)
        x += 12
    draw.text((x + 4, top), legend, fill=INK, font=font())


def _vertical_label(image, text: str, left: int, top: int, bottom: int) -> None:
    probe = ImageDraw.Draw(image)
    text_width, text_height = text_size(probe, text)
    strip = Image.new("RGB", (text_width + 4, text_height + 6), PAPER)
    ImageDraw.Draw(strip).text((2, 0), text, fill=INK, font=font())
    rotated = strip.rotate(90, expand=True)
    image.paste(rotated, (left, max(top, top + (bottom - top - rotated.height) // 2)))


def digit_colour(digit: int) -> tuple[int, int, int]:
    return PALETTE[digit]
