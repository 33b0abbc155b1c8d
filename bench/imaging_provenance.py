"""What labelling an image costs: a /digit grid and a /morph GIF with and without provenance.

Run with `python -m bench.imaging_provenance`. The same real MNIST digits (the test fixture that
ships in the repository) are encoded three ways, interleaved in the same run so machine load hits
them alike: unlabelled (the baseline), with the metadata only (GENAI_IMAGE_MARK=off), and with
the metadata and the corner mark (the default). Prints medians, the ratio to the baseline, and
the bytes the metadata adds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.arguments import bench_parser
from genai_models.imaging import grid_png, morph_gif
from genai_models.imaging.provenance import Provenance

FIXTURE = Path(__file__).resolve().parents[1] / "tests/fixtures/mnist-first-100.npz"
REPEATS = 30
GIF_FRAMES = 24  # /morph's default, played there and back: 46 frames


def digits() -> np.ndarray:
    with np.load(FIXTURE) as data:
        return data["x_train"]


def morph_frames(images: np.ndarray) -> np.ndarray:
    weights = np.linspace(0.0, 1.0, GIF_FRAMES)[:, None, None]
    return ((1 - weights) * images[0] + weights * images[1]).astype(np.uint8)


def median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def compare(title: str, encode: Callable[[Provenance | None], bytes]) -> None:
    variants = {
        "unlabelled": None,
        "metadata only": Provenance(model="VAE bench", parameters={"seed": 1}, mark=False),
        "metadata + mark": Provenance(model="VAE bench", parameters={"seed": 1}, mark=True),
    }
    sizes = {name: len(encode(p)) for name, p in variants.items()}  # also warms up
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(REPEATS):
        for name, provenance in variants.items():
            start = time.perf_counter()
            encode(provenance)
            timings[name].append(time.perf_counter() - start)
    base = median_ms(timings["unlabelled"])
    print(f"{title}, median of {REPEATS} runs (same images, same run)")
    for name in variants:
        ms = median_ms(timings[name])
        added = sizes[name] - sizes["unlabelled"]
        print(
            f"  {name:16s} {ms:7.2f} ms  ×{ms / base:5.2f}  {sizes[name] / 1024:6.1f} KiB  (+{added} bytes)"
        )


def main() -> None:
    bench_parser("bench.imaging_provenance", __doc__).parse_args()
    images = digits()
    grid = images[:25]
    frames = morph_frames(images)
    compare("25-digit /digit grid PNG", lambda p: grid_png(grid, provenance=p))
    compare(
        f"{2 * GIF_FRAMES - 2}-frame 224 px /morph GIF",
        lambda p: morph_gif(frames, size=224, frame_ms=50, boomerang=True, provenance=p),
    )


if __name__ == "__main__":
    main()
