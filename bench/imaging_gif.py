"""Encoding a 60-frame, 224 px morph GIF: `imaging.morph_gif` against a naive Pillow path.

Run with `python -m bench.imaging_gif`. Both paths get the same frames, in the same run,
interleaved so machine load hits them alike; the naive path is what a first attempt looks like
(RGB frames resized with Pillow's default filter, saved with Pillow's defaults). Frames are real
MNIST digits blended into each other after a slight blur, as soft as a VAE decoder's output; the
worst case (every pixel random in every frame) shows how big the GIF can get.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from bench.arguments import DIGITS_8K, bench_parser
from genai_models.imaging import morph_gif, to_uint8

FRAMES, SIZE, FRAME_MS, REPEATS = 60, 224, 50, 15
GOAL_MS, GOAL_BYTES = 40.0, 512 * 1024
MNIST_SAMPLE = DIGITS_8K


def morph_frames() -> np.ndarray:
    """FRAMES frames blending two blurred MNIST digits, as uint8 greys like the sampler's."""
    with np.load(MNIST_SAMPLE) as data:
        pair = data["x_train"][:2]
    soft = [np.asarray(Image.fromarray(d).filter(ImageFilter.GaussianBlur(0.8))) for d in pair]
    weights = np.linspace(0.0, 1.0, FRAMES)[:, None, None]
    return to_uint8(((1 - weights) * soft[0] + weights * soft[1]).astype(np.float32) / 255.0)


def naive_gif(frames: np.ndarray) -> bytes:
    images = [Image.fromarray(pixels).convert("RGB").resize((SIZE, SIZE)) for pixels in to_uint8(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], loop=0, duration=FRAME_MS)
    return buffer.getvalue()


def ours(frames: np.ndarray) -> bytes:
    return morph_gif(frames, size=SIZE, frame_ms=FRAME_MS)


def median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def main() -> None:
    bench_parser("bench.imaging_gif", __doc__).parse_args()
    frames = morph_frames()
    paths: dict[str, Callable[[np.ndarray], bytes]] = {"naive Pillow": naive_gif, "morph_gif": ours}
    timings: dict[str, list[float]] = {name: [] for name in paths}
    sizes = {name: len(encode(frames)) for name, encode in paths.items()}  # also warms up
    for _ in range(REPEATS):
        for name, encode in paths.items():
            start = time.perf_counter()
            encode(frames)
            timings[name].append(time.perf_counter() - start)
    frame_count = Image.open(io.BytesIO(ours(frames))).n_frames

    print(f"{FRAMES}-frame {SIZE}px morph GIF, median of {REPEATS} runs (same frames, same run)")
    for name in paths:
        print(f"  {name:13s} {median_ms(timings[name]):7.1f} ms  {sizes[name] / 1024:7.1f} KiB")
    ratio = median_ms(timings["naive Pillow"]) / median_ms(timings["morph_gif"])
    print(f"  speed-up      {ratio:7.1f}×   size ratio {sizes['naive Pillow'] / sizes['morph_gif']:.1f}×")
    print(f"  frames kept   {frame_count}/{FRAMES}")
    worst = to_uint8(np.random.default_rng(0).random((FRAMES, 28, 28)))
    start = time.perf_counter()
    worst_bytes = len(ours(worst))
    worst_ms = (time.perf_counter() - start) * 1000
    print(f"  worst case (random pixels): {worst_ms:.1f} ms  {worst_bytes / 1024:.1f} KiB")
    ok_time = median_ms(timings["morph_gif"]) <= GOAL_MS
    ok_size = sizes["morph_gif"] <= GOAL_BYTES
    print(f"  goals: ≤ {GOAL_MS:.0f} ms {'met' if ok_time else 'MISSED'}, "
          f"≤ {GOAL_BYTES // 1024} KiB {'met' if ok_size else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
