"""What serving-side changes would do to the per-digit fairness report, without retraining.

    python -m bench.fairness_probes --data mnist-digits-8k.npz --probe tone
    python -m bench.fairness_probes --data mnist-digits-8k.npz --probe self-check
    python -m bench.fairness_probes --data mnist-digits-8k.npz --probe decoder

Each probe serves the same model several ways and runs the bar sweep of bench.fairness on each
(every digit's pool vetted at each bar of SWEEP_BARS, scored by the independent judge on request
seeds of their own, 2–5 by default, never the report's 0 and 1), then prints, per way, the bars
the sweep's rule picks and each digit's recall at them, with the gap between the worst digit's
and the best's. The vetting always sees the drawings as served.

- `tone`: the tone curve that turns the decoder's logits into ink. `x2` is what the bot serves
  (sampler.INK_SHARPNESS); `mean` is the decoder's Bernoulli mean; `quantile` maps the drawings'
  pixel intensities onto the real training digits' (histogram matching); `logistic` is the
  contrast curve sigmoid(a·logit + b) closest to that matching. Both fitted curves are one curve
  for every digit, fitted on the training digits' pixels, never on the judge's scores.
- `self-check`: the classifier that vets the pools. `shipped` is the model's own; `augmented` is
  the same architecture and seed trained on randomly rotated, shifted and zoomed digits for the
  epochs of the judge's augmented recipe; `both` accepts a drawing only where both read it.

- `decoder`: no pool and no bar: each tone curve's ink of the training digits' own codes (their
  posterior means, not jittered), `--samples` of them per digit and request seed, scored the
  same way. How much of each digit's real variety the decoder draws at all, from codes it was
  trained to redraw: what any pool of those codes could reach.

None of these is what the bot serves: docs/fairness.md records what they measured.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.arguments import bench_parser
from bench.vae_quality import DEFAULT_DATA
from genai_models.imaging.pixels import to_uint8
from genai_models.vae.serving.sampler import INK_SHARPNESS, DigitSampler, sigmoid

TONES = ("x2", "mean", "quantile", "logistic")
CHECKS = ("shipped", "augmented", "both")
# Drawings per digit sampled from the model's pool candidates to fit the tone curves.
TONE_FIT_DRAWINGS = 256
TONE_FIT_QUANTILES = 4097
# The grid the logistic curve's slope and offset are searched on.
LOGISTIC_SLOPES = np.arange(1.0, 8.01, 0.25)
LOGISTIC_OFFSETS = np.arange(-4.0, 4.01, 0.25)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("bench.fairness_probes", __doc__, model_dir=True)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--probe", choices=("tone", "self-check", "decoder"), nargs="+", default=["tone"])
    parser.add_argument("--samples", type=int, default=200, help="per digit and request seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[2, 3, 4, 5], help="request seeds")
    parser.add_argument("--judges", nargs="+", default=["plain", "augmented"])
    args = parser.parse_args(argv)

    from bench.fairness import score_bars
    from genai_models.vae.serving.card import PRETRAINED_DIR
    from genai_models.vae.training.data import load_digits, split
    from genai_models.vae.training.judge import most_accurate, train_judge

    data = split(load_digits(args.data))
    sampler = ProbeSampler.load(args.model_dir or PRETRAINED_DIR)
    judge = most_accurate({name: train_judge(data, name) for name in args.judges})
    print(f"model {sampler.version}; scoring judge: {judge.name} ({judge.accuracy:.1%} on real digits)")
    features = judge.features(data.train.images)
    seeds = tuple(args.seeds)
    curves = tone_curves(sampler, data.train.images) if {"tone", "decoder"} & set(args.probe) else {}
    if "decoder" in args.probe:
        scores = {}
        for name, curve in curves.items():
            sampler.tone = curve
            scores[name] = score_reconstructions(sampler, judge, data, args.samples, seeds, features)
        print_reconstructions(scores)
    ways = []
    if "tone" in args.probe:
        ways += [(f"tone {name}", {"tone": curve}) for name, curve in curves.items()]
    if "self-check" in args.probe:
        checks = self_checks(sampler, data, seed=int(sampler.card["training"].get("seed", 0)))
        ways += [(f"self-check {name}", {"check": check}) for name, check in checks.items()]
    for name, setting in ways:
        sampler.tone = setting.get("tone", sharp_ink)
        sampler.check = setting.get("check")
        reports = score_bars(sampler, judge, data, args.samples, seeds, features)
        print_probe(name, reports, args.samples, seeds)
    return 0


def print_probe(name: str, reports: dict, samples: int, seeds: tuple[int, ...]) -> None:
    from bench.fairness import print_sweep, suggest_bars

    print(f"\n== {name}")
    print_sweep(reports, samples, seeds)
    bars = suggest_bars(reports)
    chosen = [reports[bar].digits[k] for k, bar in enumerate(bars)]
    recall = [d.recall for d in chosen]
    print(f"bars by the sweep's rule: {' '.join(map(str, bars))}")
    print("at them, recall:   " + " ".join(f"{r:.3f}" for r in recall))
    print("        fidelity:  " + " ".join(f"{d.fidelity:.3f}" for d in chosen))
    print("        precision: " + " ".join(f"{d.precision:.3f}" for d in chosen))
    print(f"worst {min(recall):.3f}, best {max(recall):.3f}, gap {max(recall) - min(recall):.3f}")


def score_reconstructions(sampler, judge, data, samples: int, seeds: tuple[int, ...], features) -> list:
    """Per digit, (fidelity, precision, recall) averaged over `seeds` of the served ink of
    `samples` training digits' own codes (seeded picks), against the real training digits."""
    from genai_models.vae.training.generative_metrics import precision_recall

    latents = sampler.card["training_latents"]
    scores = []
    for k in range(10):
        members = np.flatnonzero(latents["labels"] == k)
        real = features[np.asarray(data.train.labels) == k]
        per_seed = []
        for seed in seeds:
            picked = np.random.default_rng(seed).choice(members, min(samples, len(members)), replace=False)
            images = sampler.draw(latents["points"][picked], np.full(len(picked), k))
            precision, recall = precision_recall(real, judge.features(images))
            per_seed.append((float(np.mean(judge.classify(images) == k)), precision, recall))
        scores.append(tuple(np.mean(per_seed, axis=0)))
    return scores


def print_reconstructions(scores: dict) -> None:
    """`scores`: {tone: score_reconstructions' list}."""
    print("\n== decoder: the training digits' own codes, drawn with each tone curve")
    print("digit  " + "  ".join(f"{f'{name}: fid prec recall':>28s}" for name in scores))
    for k in range(10):
        rows = (per_digit[k] for per_digit in scores.values())
        print(f"  {k}    " + "  ".join(f"{f:15.2%} {p:5.3f} {r:6.3f}" for f, p, r in rows))
    for name, per_digit in scores.items():
        recall = [r for _, _, r in per_digit]
        print(f"{name}: worst {min(recall):.3f}, best {max(recall):.3f}, gap {max(recall) - min(recall):.3f}")


def sharp_ink(logits: np.ndarray) -> np.ndarray:
    """What the bot serves: the logits sharpened by INK_SHARPNESS through the sigmoid."""
    return sigmoid(INK_SHARPNESS * logits)


class ProbeSampler(DigitSampler):
    """The serving sampler with its ink (`tone`: logits to [0, 1]) and its self-check
    (`check`: images to class probabilities, None for the model's own) swapped for a probe."""

    tone = staticmethod(sharp_ink)
    check = None

    def draw(self, z: np.ndarray, classes=None) -> np.ndarray:
        return to_uint8(self.tone(self.logits(z, classes)))

    def classify_images(self, images: np.ndarray) -> np.ndarray:
        return super().classify_images(images) if self.check is None else self.check(images)


def tone_curves(sampler, train_images: np.ndarray) -> dict:
    """The probe's tone curves (TONES), each a function from logits to ink in [0, 1]; the
    fitted ones from `sampler`'s pool candidates and the real `train_images`' pixels."""
    from genai_models.vae.serving.vetting import pool_candidates

    rng = np.random.default_rng(0)
    logits = []
    for k, points in enumerate(pool_candidates(sampler.card, sampler.latent_dim)):
        picked = points[rng.choice(len(points), TONE_FIT_DRAWINGS, replace=False)]
        logits.append(sampler.logits(picked, np.full(len(picked), k)).ravel())
    source, target = quantile_pairs(np.concatenate(logits), train_images)
    slope, offset = fit_logistic(source, target)
    print(
        f"tone curves fitted on {len(train_images)} training digits: logistic slope {slope:.2f}, "
        f"offset {offset:+.2f}"
    )
    return {
        "x2": sharp_ink,
        "mean": sigmoid,
        "quantile": lambda x: np.interp(x, source, target).astype("float32"),
        "logistic": lambda x: sigmoid(slope * x + offset),
    }


def quantile_pairs(logits: np.ndarray, train_images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The drawings' logits and the real pixels' intensities at the same quantiles: mapping one
    onto the other (np.interp) gives drawings the real digits' intensity histogram. The logits'
    quantiles are made strictly increasing so that the mapping is a function."""
    q = np.linspace(0, 1, TONE_FIT_QUANTILES)
    real = np.asarray(train_images)
    real = real.astype("float32") / 255 if real.dtype == np.uint8 else real.astype("float32")
    source = np.quantile(np.asarray(logits, "float64"), q)
    source = source + np.arange(len(q)) * 1e-9  # ties (none expected) broken upwards
    return source, np.clip(np.quantile(real.ravel(), q), 0, 1)


def fit_logistic(source: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """The slope and offset (on the LOGISTIC_ grids) of sigmoid(slope·logit + offset) closest,
    in squared error over the quantiles, to the matching `quantile_pairs` gives."""
    errors = [
        (float(np.mean((sigmoid(a * source + b) - target) ** 2)), float(a), float(b))
        for a in LOGISTIC_SLOPES
        for b in LOGISTIC_OFFSETS
    ]
    _, slope, offset = min(errors)
    return slope, offset


def self_checks(sampler, data, *, seed: int) -> dict:
    """The probe's self-checks (CHECKS): None for the model's own, else a function from images
    to class probabilities."""
    from genai_models.vae.training.judge import JUDGES, predict_in_batches, unit_images

    checker = train_augmented_checker(data, seed=seed, epochs=JUDGES["augmented"][1])

    def augmented(images):
        return predict_in_batches(checker, unit_images(images))

    def shipped(images):
        return DigitSampler.classify_images(sampler, images)

    labels = data.validation.labels
    for name, check in (("shipped", shipped), ("augmented", augmented)):
        accuracy = np.mean(np.argmax(check(data.validation.images.reshape(-1, 28, 28)), axis=1) == labels)
        print(f"self-check {name}: {accuracy:.1%} on the real validation digits")
    return {
        "shipped": None,
        "augmented": augmented,
        # Both must read it: each class's lesser probability.
        "both": lambda images: np.minimum(shipped(images), augmented(images)),
    }


def train_augmented_checker(data, *, seed: int, epochs: int):
    """The self-check's architecture (classifier.build_checker) and seed, trained on randomly
    rotated, shifted and zoomed training digits, as the judge's augmented recipe is; returns
    the checker without the augmentation in front."""
    from genai_models.vae.backend import keras
    from genai_models.vae.training.classifier import build_checker, fit_classifier
    from genai_models.vae.training.judge import augmentations

    keras.utils.set_random_seed(seed)
    checker = build_checker()
    images = keras.Input(shape=(28, 28, 1), name="image")
    x = images
    for augmentation in augmentations():
        x = augmentation(x)
    trained = keras.Model(images, checker(x))
    fit_classifier(trained, data.train.images, data.train.labels, learning_rate=2e-3, epochs=epochs)
    return checker


if __name__ == "__main__":
    raise SystemExit(main())
