"""How wide the latent code must be for /digit to have handwriting's variety (issue #10).

    python -m bench.latent_width                      # widths 2 8 16, 40 epochs each
    python -m bench.latent_width --widths 2 16 32 --epochs 75

The shipped recipe is retrained here at each latent width (same data split, seed and epochs), and
each model's /digit is drawn by the served sampler (DigitSampler.digits: its aggregate posterior,
the served ink sharpness, vetted by the model's own self-check). Each is scored by bench.variety's
improved precision/recall and Fréchet distance in the evaluation judge's features
(bench.vae_quality's augmented judge), by requested-class fidelity under that judge, and by the
label-free held-out −ELBO. Ratios are against width 2, the seed article's width, trained in the
same run.

Why it exists: a 2-D code decodes every class to a 2-D surface of images, and k-NN recall
against real digits cannot reach the issue's goal from a surface that thin, whatever the
sampler does on it (vetting and sharpening move precision, not recall). This bench shows what
the width buys, on the recipe as shipped (16-D since issue #10).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from bench.arguments import bench_parser
from bench.vae_quality import DEFAULT_DATA, our_elbo, served_digits, train_judge

SAMPLES = 200  # per class, as bench.variety


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("bench.latent_width", __doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--widths", type=int, nargs="+", default=[2, 8, 16])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if 2 not in args.widths:
        parser.error("--widths must include 2: the ratios are against the seed's width")

    from bench.variety import score
    from genai_models.vae.training.data import load_digits, split

    data = split(load_digits(args.data))
    judge = train_judge(data, "augmented")
    print(
        f"data: {data.train.source}: {len(data.train)} train / {len(data.validation)} "
        f"validation; judge {judge.name}, {judge.accuracy:.1%} accurate on real digits"
    )
    train_features = judge.features(data.train.images)
    rows = {}
    for width in args.widths:
        started = time.perf_counter()
        model_dir = retrain(data, width=width, epochs=args.epochs, seed=args.seed)
        sampler, images, labels = served_samples(model_dir)
        result = score(train_features, data.train.labels, judge.features(images), labels)
        result["fidelity"] = [float(np.mean(judge.classify(images[labels == k]) == k)) for k in range(10)]
        result["elbo"] = our_elbo(sampler, data.validation.images)
        rows[width] = result
        print(f"width {width:3d}: {describe(result)} ({time.perf_counter() - started:.0f} s)", flush=True)
        print("    per class 0–9 recall " + " ".join(f"{r:.2f}" for r in result["recall_per_class"]))

    base = rows[2]
    print(
        f"\nagainst width 2 (same recipe, {args.epochs} epochs, seed {args.seed}); "
        "goal: every class's recall ≥ 0.6, precision ≥ 0.9, fidelity ≥ 98%, −ELBO ≤ 140.7"
    )
    print(
        f"{'width':>5}  {'recall':>7}  {'worst class':>11}  {'precision':>9}  {'Fréchet':>8}  "
        f"{'fidelity':>8}  {'−ELBO':>7}"
    )
    for width, r in rows.items():
        print(
            f"{width:5d}  {ratio(r['recall'], base['recall']):>7}  "
            f"{ratio(min(r['recall_per_class']), min(base['recall_per_class'])):>11}  "
            f"{ratio(r['precision'], base['precision']):>9}  "
            f"{ratio(r['frechet'], base['frechet']):>8}  "
            f"{ratio(min(r['fidelity']), min(base['fidelity'])):>8}  "
            f"{ratio(r['elbo'], base['elbo']):>7}"
        )
    return 0


def describe(result: dict) -> str:
    return (
        f"precision {result['precision']:.2f}, recall {result['recall']:.2f} (worst class "
        f"{min(result['recall_per_class']):.2f}), Fréchet distance {result['frechet']:.1f}, "
        f"worst-class fidelity {min(result['fidelity']):.1%}, −ELBO {result['elbo']:.2f} nats"
    )


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}×" if baseline else "—"


def retrain(data, *, width: int, epochs: int, seed: int) -> Path:
    from genai_models.vae.training.trainer import TrainingConfig, train

    out = Path(tempfile.mkdtemp(prefix=f"latent-width-{width}-"))
    train(
        data, out, TrainingConfig(epochs=epochs, seed=seed, latent_dim=width, precision="float32"), verbose=0
    )
    return out


def served_samples(model_dir: Path):
    """(sampler, images, labels): SAMPLES a class of /digit k from the served sampler."""
    from genai_models.vae.serving.sampler import DigitSampler

    sampler = DigitSampler.load(model_dir)
    images = [served_digits(sampler, k, SAMPLES) for k in range(10)]
    return sampler, np.concatenate(images), np.repeat(np.arange(10), [len(x) for x in images])


if __name__ == "__main__":
    raise SystemExit(main())
