"""The per-digit fairness report of a digit model, by the bench's own independent judge.

    python -m bench.fairness                          # the shipped model, request seeds 0 1
    python -m bench.fairness --write                  # ...and write it beside its model card
    python -m bench.fairness --model-dir DIR --seeds 0 1 2

For each digit: requested-class fidelity (the share of `/digit k` the judge reads as k) and
variety (improved precision and recall against the real training digits of k, in the judge's
features), averaged over the request seeds, beside the real-vs-real recall (held-out validation
digits against the training digits: the ceiling); and for each measure the worst-to-best ratio.
Both judges of bench.vae_quality are trained; the one more accurate on real held-out digits
scores (genai_models.vae.training.judge). `--write` stores the report as fairness.json beside
the card and references it from the card: /model info and `genai-bot model-report` show it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.vae_quality import DEFAULT_DATA

QUICK_ARGV = ["--samples", "200", "--seeds", "0", "1"]
RECALL_GAP_GOAL = 0.05  # every digit's recall within this of the best digit's


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fairness",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model-dir", type=Path, default=None, help="default: shipped weights")
    parser.add_argument("--samples", type=int, default=200, help="per digit and request seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="request seeds")
    parser.add_argument(
        "--judges",
        nargs="+",
        default=["plain", "augmented"],
        help="judge recipes to train; the most accurate on real digits scores",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="write fairness.json beside the model card and reference it there",
    )
    args = parser.parse_args(argv)

    from genai_models.vae.serving.card import PRETRAINED_DIR
    from genai_models.vae.serving.sampler import DigitSampler
    from genai_models.vae.training.data import load_digits, split
    from genai_models.vae.training.fairness import measure_fairness, write_report
    from genai_models.vae.training.judge import most_accurate, train_judge

    data = split(load_digits(args.data))
    model_dir = args.model_dir or PRETRAINED_DIR
    sampler = DigitSampler.load(model_dir)
    judges = {name: train_judge(data, name) for name in args.judges}
    judge = most_accurate(judges)
    print(f"data: {data.train.source}: {len(data.train)} train / {len(data.validation)} validation")
    print(
        f"model {sampler.version}; judges on real validation digits: "
        + ", ".join(f"{j.name} {j.accuracy:.1%}" for j in judges.values())
        + f"; scoring: {judge.name}"
    )
    report = measure_fairness(
        sampler,
        judge,
        data.train.images,
        data.train.labels,
        samples=args.samples,
        seeds=tuple(args.seeds),
        validation=(data.validation.images, data.validation.labels),
        data=f"{Path(str(data.train.source)).name}: {len(data.train)} train / "
        f"{len(data.validation)} validation",
    )
    print_report(report)
    if args.write:
        write_report(model_dir, report)
        print(f"\nwrote {model_dir / 'fairness.json'} and its reference in the model card")
    return 0


def print_report(report) -> None:
    from genai_models.vae.training.fairness import MEASURES

    print(
        f"\nper digit, {report.samples_per_digit} per digit and request seed "
        f"{', '.join(map(str, report.request_seeds))} ({report.judge} judge)"
    )
    print("digit  fidelity  precision  recall  recall per seed   real vs real recall")
    for d in report.digits:
        real = f"{report.real_recall[d.digit]:.2f}" if report.real_recall else "—"
        seeds = " ".join(f"{r:.2f}" for r in d.recall_per_seed)
        print(f"  {d.digit}    {d.fidelity:7.1%}  {d.precision:9.2f}  {d.recall:6.2f}  {seeds:16s}  {real}")
    for measure in MEASURES:
        worst, best = report.worst(measure), report.best(measure)
        print(
            f"worst-to-best {measure:9s} {report.worst_to_best(measure):.2f} "
            f"(worst {worst.digit}: {getattr(worst, measure):.2f}, "
            f"best {best.digit}: {getattr(best, measure):.2f})"
        )
    best = report.best("recall").recall
    behind = [d.digit for d in report.digits if d.recall < best - RECALL_GAP_GOAL]
    print(
        f"recall within {RECALL_GAP_GOAL} of the best digit's for every digit: "
        + ("met" if not behind else f"MISSED (digits {', '.join(map(str, behind))})")
    )


if __name__ == "__main__":
    raise SystemExit(main())
