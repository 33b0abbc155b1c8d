"""What signing Content Credentials costs per image: a /digit PNG and a /morph GIF.

Run with `python -m bench.content_credentials`. The same real MNIST digits (the test fixture
that ships in the repository) are encoded with their IPTC labels, unsigned (the baseline: what
every image cost before) and signed by a local authority like the bot's, interleaved in the
same run so machine load hits both alike. Prints medians, the ratio to the baseline, the bytes
the manifest adds, and the signing time alone (signed − unsigned). `bench.bot_latency` measures
what it does to /digit's end-to-end latency (`/digit` against `/digit-unsigned`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.imaging_provenance import digits, morph_frames
from genai_models.imaging import content_credentials, grid_png, morph_gif
from genai_models.imaging.content_credentials import CredentialSigner
from genai_models.imaging.local_authority import local_identity
from genai_models.imaging.provenance import Provenance

REPEATS = 50


def compare(title: str, encode: Callable[[], bytes], repeats: int) -> None:
    def timed_unsigned() -> tuple[float, int]:
        with content_credentials.unsigned():
            start = time.perf_counter()
            data = encode()
        return time.perf_counter() - start, len(data)

    def timed_signed() -> tuple[float, int]:
        start = time.perf_counter()
        data = encode()
        return time.perf_counter() - start, len(data)

    timed_unsigned(), timed_signed()  # warm up: first encoder and c2pa handles
    unsigned, signed = [], []
    for _ in range(repeats):
        unsigned.append(timed_unsigned())
        signed.append(timed_signed())
    base = statistics.median(t for t, _ in unsigned) * 1000
    ours = statistics.median(t for t, _ in signed) * 1000
    added = signed[0][1] - unsigned[0][1]
    print(f"{title}, median of {repeats} (interleaved, same run)")
    print(f"  labelled, unsigned {base:7.2f} ms  ×1.00  {unsigned[0][1] / 1024:6.1f} KiB")
    print(
        f"  labelled + signed  {ours:7.2f} ms  ×{ours / base:4.2f}  {signed[0][1] / 1024:6.1f} KiB"
        f"  (+{added} bytes; signing {ours - base:.2f} ms)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.content_credentials",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    images = digits()
    frames = morph_frames(images)
    provenance = Provenance(model="VAE bench", parameters={"feature": "digit", "seed": 1})
    with tempfile.TemporaryDirectory() as folder:
        content_credentials.install(CredentialSigner(local_identity(Path(folder) / "c2pa")))
        try:
            compare(
                "/digit PNG, 1 digit (the default count)",
                lambda: grid_png(images[:1], provenance=provenance),
                args.repeats,
            )
            compare(
                "/digit PNG, 25 digits", lambda: grid_png(images[:25], provenance=provenance), args.repeats
            )
            compare(
                "46-frame 224 px /morph GIF",
                lambda: morph_gif(frames, size=224, frame_ms=50, boomerang=True, provenance=provenance),
                args.repeats,
            )
        finally:
            content_credentials.install(None)


if __name__ == "__main__":
    main()
