"""How wide the latent code must be for /digit to have handwriting's variety (issue #10).

    python -m bench.latent_width                      # widths 2 8 16, 40 epochs each
    python -m bench.latent_width --widths 2 16 32 --epochs 75

The shipped recipe is retrained here at each latent width (same data split, seed and epochs), and
each model is sampled the way the served sampler draws /digit: its aggregate posterior (a
training digit's code jittered within its own posterior spread), drawn with the served ink
sharpness and vetted by the model's own self-check at the served confidence. Each is scored
by bench.variety's improved precision/recall and Fréchet distance in the evaluation judge's
features (bench.vae_quality's augmented judge), by requested-class fidelity under that judge,
and by the label-free held-out −ELBO. Ratios are against width 2, the shipped model's width,
trained in the same run.

Why it exists: a 2-D code decodes every class to a 2-D surface of images, and k-NN recall
against real digits cannot reach the issue's goal from a surface that thin, whatever the
sampler does on it (vetting and sharpening move precision, not recall). This bench measures
how much width the goal needs before the sampler's style plane is rebuilt on a wider model.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.vae_quality import DEFAULT_DATA, train_judge

SAMPLES = 200  # per class, as bench.variety
CANDIDATE_BATCH = 1000
MAX_BATCHES = 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latent_width", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--widths", type=int, nargs="+", default=[2, 8, 16])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if 2 not in args.widths:
        parser.error("--widths must include 2: the ratios are against the shipped width")

    from bench.variety import score
    from genai_models.vae.training.data import load_digits, split

    data = split(load_digits(args.data))
    judge = train_judge(data, "augmented")
    print(f"data: {data.train.source}: {len(data.train)} train / {len(data.validation)} "
          f"validation; judge {judge.name}, {judge.accuracy:.1%} accurate on real digits")
    train_features = judge.features(data.train.images)
    rows = {}
    for width in args.widths:
        started = time.perf_counter()
        model_dir = retrain(data, width=width, epochs=args.epochs, seed=args.seed)
        vae, images, labels = served_like_samples(model_dir)
        result = score(train_features, data.train.labels, judge.features(images), labels)
        result["fidelity"] = [float(np.mean(judge.classify(images[labels == k]) == k))
                              for k in range(10)]
        result["elbo"] = elbo(vae, data.validation.images)
        rows[width] = result
        print(f"width {width:3d}: {describe(result)} ({time.perf_counter() - started:.0f} s)",
              flush=True)
        print("    per class 0–9 recall " + " ".join(f"{r:.2f}" for r in result["recall_per_class"]))

    base = rows[2]
    print(f"\nagainst width 2 (same recipe, {args.epochs} epochs, seed {args.seed}); "
          "goal: every class's recall ≥ 0.6, precision ≥ 0.9, fidelity ≥ 98%, −ELBO ≤ 140.7")
    print(f"{'width':>5}  {'recall':>7}  {'worst class':>11}  {'precision':>9}  {'Fréchet':>8}  "
          f"{'fidelity':>8}  {'−ELBO':>7}")
    for width, r in rows.items():
        print(f"{width:5d}  {ratio(r['recall'], base['recall']):>7}  "
              f"{ratio(min(r['recall_per_class']), min(base['recall_per_class'])):>11}  "
              f"{ratio(r['precision'], base['precision']):>9}  "
              f"{ratio(r['frechet'], base['frechet']):>8}  "
              f"{ratio(min(r['fidelity']), min(base['fidelity'])):>8}  "
              f"{ratio(r['elbo'], base['elbo']):>7}")
    return 0


def describe(result: dict) -> str:
    return (f"precision {result['precision']:.2f}, recall {result['recall']:.2f} (worst class "
            f"{min(result['recall_per_class']):.2f}), Fréchet distance {result['frechet']:.1f}, "
            f"worst-class fidelity {min(result['fidelity']):.1%}, −ELBO {result['elbo']:.2f} nats")


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}×" if baseline else "—"


def retrain(data, *, width: int, epochs: int, seed: int) -> Path:
    from genai_models.vae.training.trainer import TrainingConfig, train

    out = Path(tempfile.mkdtemp(prefix=f"latent-width-{width}-"))
    train(data, out, TrainingConfig(epochs=epochs, seed=seed, latent_dim=width,
                                    precision="float32"), verbose=0)
    return out


def served_like_samples(model_dir: Path):
    """(vae, images, labels): SAMPLES a class drawn as the served sampler draws its pools.

    The served DigitSampler cannot load a model wider than its 2-D style plane yet, so its
    three steps are repeated here with its own constants."""
    from genai_models.imaging.pixels import to_uint8
    from genai_models.vae.backend import keras
    from genai_models.vae.serving.card import CHECKER_FILE, TRAINING_LATENTS_FILE, VAE_FILE
    from genai_models.vae.serving.sampler import ACCEPT_CONFIDENCE, INK_SHARPNESS

    vae = keras.saving.load_model(model_dir / VAE_FILE, compile=False)
    checker = keras.saving.load_model(model_dir / CHECKER_FILE, compile=False)
    latents = np.load(model_dir / TRAINING_LATENTS_FILE)
    points, spreads, codes_labels = latents["points"], latents["spreads"], latents["labels"]
    rng = np.random.default_rng(0)
    images, labels = [], []
    for k in range(10):
        members = np.flatnonzero(codes_labels == k)
        kept, drawn_all, confidence_all = [], [], []
        for _ in range(MAX_BATCHES):
            picked = rng.choice(members, CANDIDATE_BATCH)
            z = points[picked] + spreads[picked] * rng.standard_normal((CANDIDATE_BATCH,
                                                                        points.shape[1]))
            classes = np.eye(10, dtype="float32")[np.full(CANDIDATE_BATCH, k)]
            logits = np.asarray(vae.decoder([z.astype("float32"), classes], training=False))[..., 0]
            drawn = to_uint8(1 / (1 + np.exp(-np.clip(INK_SHARPNESS * logits, -60, 60))))
            confidence = np.asarray(checker(drawn[..., None].astype("float32") / 255,
                                            training=False))[:, k]
            drawn_all.append(drawn)
            confidence_all.append(confidence)
            kept.append(drawn[confidence >= ACCEPT_CONFIDENCE])
            if sum(map(len, kept)) >= SAMPLES:
                break
        if sum(map(len, kept)) >= SAMPLES:
            drawn = np.concatenate(kept)[:SAMPLES]
        else:  # as the sampler does when too few pass: the most convincing candidates
            order = np.argsort(np.concatenate(confidence_all))[::-1][:SAMPLES]
            drawn = np.concatenate(drawn_all)[order]
        images.append(drawn)
        labels.append(np.full(len(drawn), k))
    return vae, np.concatenate(images), np.concatenate(labels)


def elbo(vae, images: np.ndarray) -> float:
    from genai_models.vae.training.evaluation import vae_negative_elbo

    return vae_negative_elbo(vae, images).negative_elbo


if __name__ == "__main__":
    raise SystemExit(main())
