"""Small drawing kit for the charts: fonts, text Pillow's font can show, ticks and a plot frame."""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageDraw, ImageFont

FONT_SIZE = 12
INK = (40, 40, 40)
GRID = (225, 225, 225)
PAPER = (255, 255, 255)
# matplotlib's "tab10": ten colours that stay apart for most kinds of colour blindness
PALETTE = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)  # fmt: skip
# DejaVu Sans, shipped beside this module (fonts/LICENSE): the same on every machine (no system
# fonts), with the accents and ¿ ¡ of Spanish, which Pillow's own default font draws as boxes.
FONT_FILE = Path(__file__).with_name("fonts") / "DejaVuSans.ttf"
# What the charts draw as it is: printable ASCII, Latin-1's letters and signs, a few more.
_GLYPHS = frozenset([*map(chr, range(0x20, 0x7F)), *map(chr, range(0xA0, 0x100)), *"–—‘’“”…→←↑↓−"])


@functools.cache
def font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), FONT_SIZE)


def drawable(text: str) -> str:
    """`text` in characters the charts draw: others lose their accents where that leaves a
    letter they draw ("ő" → "o"), else show as "?"."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in _GLYPHS:
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(base if base and all(c in _GLYPHS for c in base) else "?")
    return "".join(out)


def text_size(draw: ImageDraw.ImageDraw, text: str) -> tuple[int, int]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font())
    return int(right - left), int(bottom - top)


def nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 × 10^k) inside [low, high], about `target` of them."""
    span = high - low
    if not span > 0 or not math.isfinite(span):
        return [low]
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9)
    ticks = []
    index = first
    while index * step <= high + step * 1e-9:
        ticks.append(index * step)
        index += 1
    return ticks


def tick_label(value: float, ticks: list[float]) -> str:
    """A label with as many decimals as the tick spacing needs ("0.05", "150", "-2")."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value) or 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if abs(value) >= 1e5 or (value and abs(value) < 1e-3 and decimals > 4):
        return f"{value:.2g}"
    return f"{value:.{decimals}f}"


def padded_range(low: float, high: float, fraction: float = 0.05) -> tuple[float, float]:
    """[low, high] widened a little, or around the value when the two are equal."""
    if high > low:
        pad = (high - low) * fraction
        return low - pad, high + pad
    pad = abs(low) * 0.1 or 1.0
    return low - pad, high + pad


@dataclass(frozen=True)
class PlotArea:
    """A pixel rectangle showing data x in [x0, x1] and y in [y0, y1] (y grows upwards)."""

    left: int
    top: int
    right: int
    bottom: int
    x0: float
    x1: float
    y0: float
    y1: float

    def to_pixel(self, x: float, y: float) -> tuple[float, float]:
        px = self.left + (x - self.x0) / (self.x1 - self.x0) * (self.right - self.left)
        py = self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)
        return px, py

    def draw_axes(self, draw: ImageDraw.ImageDraw, x_ticks: list[float], y_ticks: list[float]) -> None:
        """Light grid lines at the ticks, tick labels outside, and the frame on top."""
        for value in x_ticks:
            x, _ = self.to_pixel(value, self.y0)
            draw.line([(x, self.top), (x, self.bottom)], fill=GRID)
            label = tick_label(value, x_ticks)
            width, _ = text_size(draw, label)
            draw.text((x - width / 2, self.bottom + 4), label, fill=INK, font=font())
        for value in y_ticks:
            _, y = self.to_pixel(self.x0, value)
            draw.line([(self.left, y), (self.right, y)], fill=GRID)
            label = tick_label(value, y_ticks)
            width, height = text_size(draw, label)
            draw.text((self.left - 5 - width, y - height / 2 - 2), label, fill=INK, font=font())
        draw.rectangle([self.left, self.top, self.right, self.bottom], outline=INK)
