"""`python -m bench.handwriting_refusals`: what /handwriting refuses, digits and non-digits.

Uploads go through `DigitSampler.handwriting` (the bot's and the CLI's path) as PNG bytes, with
no digit given:
- held-out real digits: the validation part of the 8k training file (neither the shipped model
  nor its digit-ness model trained on them), dark ink on white, enlarged; the share refused
  must stay ≤ 2%;
- letters and symbols rendered in several fonts and stroke widths
  (tests/fixtures/non-digits.npz, made by tests/fixtures/make_handwriting_fixtures.py); the
  share accepted (read as a confident digit and drawn) is what the refusal checks are for.
  No font was used to train or tune the digit-ness model: this is its evaluation set;
- digits typed in the same fonts (rendered here): not handwriting, but a digit all the same;
  the share refused says how much the refusals lean on a font's look rather than on the shape.
Baseline, in the same run: the checks before the digit-ness model (self-check confidence,
likeness, the code's atypicality and the redraw's loss). Also shown: the digit-ness model with
the likeness check left out.
"""

from __future__ import annotations

import argparse
import collections
import io
from pathlib import Path

import numpy as np

from bench.arguments import DIGITS_8K

REPO = Path(__file__).resolve().parents[1]
HELD_OUT_FIXTURE = REPO / "tests/fixtures/mnist-heldout-400.npz"
NON_DIGITS = REPO / "tests/fixtures/non-digits.npz"
REFUSAL_BUDGET = 0.02
QUICK_ARGV = ["--digits", "1000"]


def png(ink_on_white: np.ndarray, side: int | None = None) -> bytes:
    from PIL import Image

    image = Image.fromarray(ink_on_white)
    if side:
        image = image.resize((side, side), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def held_out_digits(count: int, data: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 ink=255, labels): the 8k file's validation digits, else the test fixture."""
    if data.exists():
        from genai_models.vae.training.data import load_digits, split

        validation = split(load_digits(data)).validation
        images = (validation.images[..., 0] * 255).round().astype("uint8")
        return images[:count], validation.labels[:count]
    fixture = np.load(HELD_OUT_FIXTURE)
    return fixture["x"][:count], fixture["y"][:count]


def refused(sampler, uploads: list[bytes]) -> np.ndarray:
    from genai_models.errors import InvalidInputError

    out = []
    for upload in uploads:
        try:
            sampler.handwriting(upload)
            out.append(False)
        except InvalidInputError:
            out.append(True)
    return np.array(out)


def typed_digits() -> list[bytes]:
    """Digits 0–9 in every font and stroke of the non-digit fixture, as PNG uploads."""
    from tests.fixtures.make_handwriting_fixtures import STROKES, fonts, render

    return [png(render(str(k), font, stroke)) for _, font in fonts() for stroke in STROKES for k in range(10)]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.handwriting_refusals", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--digits", type=int, default=2000, help="held-out digits (default 2000)")
    parser.add_argument("--model-dir", default=None, help="a trained VAE folder (default: shipped)")
    parser.add_argument(
        "--data",
        type=Path,
        default=DIGITS_8K,
        help="the 8k training file, for its validation digits (default: "
        "datasets/mnist-digits-8k.npz; without it, the 400 of "
        "tests/fixtures/mnist-heldout-400.npz)",
    )
    args = parser.parse_args()

    from genai_models.vae.serving import sampler as sampler_module

    sampler = sampler_module.DigitSampler.load(args.model_dir)
    digitness = sampler.digitness
    images, labels = held_out_digits(args.digits, args.data)
    digit_uploads = [png(255 - image, 112) for image in images]
    fixture = np.load(NON_DIGITS)
    other_uploads = [png(image) for image in fixture["images"]]
    typed_uploads = typed_digits()

    limit = sampler_module.READ_LIKENESS_LIMIT
    configurations = (("today's checks (baseline)", None, limit),)
    if digitness is None:
        print("this model folder has no digit-ness model: only the baseline is measured")
    else:
        configurations += (
            ("with digit-ness", digitness, limit),
            ("digit-ness, no likeness", digitness, float("inf")),
        )
    results = {}
    for name, check, likeness_limit in configurations:
        sampler.digitness, sampler_module.READ_LIKENESS_LIMIT = check, likeness_limit
        results[name] = tuple(
            refused(sampler, uploads) for uploads in (digit_uploads, other_uploads, typed_uploads)
        )
    sampler.digitness, sampler_module.READ_LIKENESS_LIMIT = digitness, limit

    print(
        f"/handwriting refusals: {len(digit_uploads)} held-out real digits, "
        f"{len(other_uploads)} rendered letters and symbols "
        f"({len(set(fixture['chars']))} glyphs x {len(set(fixture['fonts']))} fonts/strokes), "
        f"{len(typed_uploads)} typed digits (same fonts)"
    )
    print(f"{'':28}{'digits refused':>16}{'non-digits accepted':>22}{'typed digits refused':>23}")
    for name, (digits, others, typed) in results.items():
        print(f"{name:28}{digits.mean():>15.1%}{1 - others.mean():>21.1%}{typed.mean():>22.1%}")
    base = results["today's checks (baseline)"]
    ours = results.get("with digit-ness", base)
    print(
        f"ratio with digit-ness/baseline: non-digits accepted "
        f"{(1 - ours[1].mean()) / max(1 - base[1].mean(), 1e-9):.2f}x, "
        f"digits refused {ours[0].mean() / max(base[0].mean(), 1e-9):.2f}x "
        f"(budget {REFUSAL_BUDGET:.0%}: {'met' if ours[0].mean() <= REFUSAL_BUDGET else 'MISSED'})"
    )
    if digitness is not None:
        scores = digitness.digitness(np.stack([sampler_module.to_mnist(u) for u in digit_uploads]))
        print(
            f"held-out digits' digit-ness percentiles 0.5/1/2/5: "
            f"{np.percentile(scores, [0.5, 1, 2, 5]).round(3).tolist()} "
            f"(refused below {digitness.refuse_below:.3f}, chosen on the model's own tuning split)"
        )
    accepted = collections.Counter(c for c, r in zip(fixture["chars"], ours[1], strict=True) if not r)
    print(
        "non-digits still accepted most often: "
        + (", ".join(f"{char} {n}" for char, n in accepted.most_common(10)) or "none")
    )
    by_class = [ours[0][labels == k].mean() for k in range(10)]
    print("digits refused by class: " + " ".join(f"{k}:{r:.0%}" for k, r in enumerate(by_class)))


if __name__ == "__main__":
    main()
