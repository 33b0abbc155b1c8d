"""The per-digit fairness report of a digit model, by the bench's own independent judge.

    python -m bench.fairness                          # the shipped model, request seeds 0 1
    python -m bench.fairness --write                  # ...and write it beside its model card
    python -m bench.fairness --model-dir DIR --seeds 0 1 2
    python -m bench.fairness --sweep-bars             # per-digit acceptance bars to vet at

For each digit: requested-class fidelity (the share of `/digit k` the judge reads as k) and
variety (improved precision and recall against the real training digits of k, in the judge's
features), averaged over the request seeds, beside the real-vs-real recall (held-out validation
digits against the training digits: the ceiling); and for each measure the worst-to-best ratio.
Both judges of bench.vae_quality are trained; the one more accurate on real held-out digits
scores (genai_models.vae.training.judge). `--write` stores the report as fairness.json beside
the card and references it from the card: /model info and `genai-bot model-report` show it.

`--sweep-bars` vets the pools again at each bar of SWEEP_BARS for every digit, scores each on
request seeds of their own (`--sweep-seeds`, not the report's, so the bars are not fitted to the
seeds that score them) and suggests, per digit, the lowest bar whose fidelity and precision are
at least SWEEP_FIDELITY_FLOOR and SWEEP_PRECISION_FLOOR (a bar above it only throws styles away,
and with them variety), or the default bar (vetting.ACCEPT_CONFIDENCE) where no bar reaches them.
Export the bars with `python -m genai_models.vae.training.serving_export DIR --accept-confidence …`.
"""

from __future__ import annotations

from pathlib import Path

from bench.arguments import bench_parser
from bench.vae_quality import DEFAULT_DATA

QUICK_ARGV = ["--samples", "200", "--seeds", "0", "1"]
RECALL_GAP_GOAL = 0.05  # every digit's recall within this of the best digit's
# From the least at which the self-check still reads a drawing as its digit up to the default.
SWEEP_BARS = (0.5, 0.9, 0.99, 0.999)
# A margin above the report's own floor of 0.99 (one misread in a hundred), which a bar tuned
# right at it would cross on other seeds.
SWEEP_FIDELITY_FLOOR = 0.995
SWEEP_PRECISION_FLOOR = 0.99


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("bench.fairness", __doc__, model_dir=True)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
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
    parser.add_argument(
        "--sweep-bars",
        action="store_true",
        help="score the pools vetted at each bar of SWEEP_BARS and suggest a bar per digit",
    )
    parser.add_argument("--sweep-seeds", type=int, nargs="+", default=[2, 3], help="request seeds")
    args = parser.parse_args(argv)

    from genai_models.vae.serving.card import PRETRAINED_DIR
    from genai_models.vae.serving.sampler import DigitSampler
    from genai_models.vae.training.data import load_digits, split
    from genai_models.vae.training.fairness import measure_against, write_report
    from genai_models.vae.training.judge import most_accurate, trained_judges

    data = split(load_digits(args.data))
    model_dir = args.model_dir or PRETRAINED_DIR
    sampler = DigitSampler.load(model_dir)
    judges = trained_judges(data, args.judges)
    judge = most_accurate(judges)
    print(f"data: {data.train.source}: {len(data.train)} train / {len(data.validation)} validation")
    print(
        f"model {sampler.version}; judges on real validation digits: "
        + ", ".join(f"{j.name} {j.accuracy:.1%}" for j in judges.values())
        + f"; scoring: {judge.name}"
    )
    if args.sweep_bars:
        sweep_bars(sampler, judge, data, args.samples, tuple(args.sweep_seeds))
        return 0
    report = measure_against(sampler, judge, data, samples=args.samples, seeds=tuple(args.seeds))
    print_report(report)
    if args.write:
        write_report(model_dir, report)
        print(f"\nwrote {model_dir / 'fairness.json'} and its reference in the model card")
    return 0


def sweep_bars(
    sampler, judge, data, samples: int, seeds: tuple[int, ...], train_features=None
) -> list[float]:
    """Score the pools vetted at every bar of SWEEP_BARS; print each digit's scores per bar and
    the suggested bars (see the module's docstring); returns them."""
    from genai_models.vae.serving.vetting import ACCEPT_CONFIDENCE

    reports = score_bars(sampler, judge, data, samples, seeds, train_features)
    suggested = suggest_bars(reports)
    print_sweep(reports, samples, seeds)
    print(
        f"\nper digit, the lowest bar with fidelity >= {SWEEP_FIDELITY_FLOOR:.1%} and precision >= "
        f"{SWEEP_PRECISION_FLOOR} (else the default, {ACCEPT_CONFIDENCE}): "
        f"{' '.join(map(str, suggested))}\n"
        "export them: python -m genai_models.vae.training.serving_export MODEL_DIR "
        f"--accept-confidence {' '.join(map(str, suggested))}"
    )
    return suggested


def score_bars(sampler, judge, data, samples: int, seeds: tuple[int, ...], train_features=None) -> dict:
    """{bar: the report of `sampler`'s pools vetted at that bar for every digit}, for every bar
    of SWEEP_BARS. Vetting goes through `sampler.draw` and `sampler.classify_images`, so it
    sees what the sampler serves."""
    import numpy as np

    from genai_models.vae.serving.serving_files import vet_sampler
    from genai_models.vae.training.fairness import measure_fairness

    if train_features is None:
        train_features = judge.features(data.train.images)
    reports = {}
    for bar in SWEEP_BARS:
        sampler.serve(vet_sampler(sampler, np.full(10, bar)), "the sweep", refuse_undertrained=False)
        reports[bar] = measure_fairness(
            sampler,
            judge,
            data.train.images,
            data.train.labels,
            samples=samples,
            seeds=seeds,
            train_features=train_features,
        )
    return reports


def suggest_bars(reports: dict) -> list[float]:
    """Per digit, the lowest bar of `reports` (score_bars) whose fidelity and precision reach
    SWEEP_FIDELITY_FLOOR and SWEEP_PRECISION_FLOOR, else the default bar."""
    from genai_models.vae.serving.vetting import ACCEPT_CONFIDENCE

    suggested = []
    for k in range(10):
        fit = [
            bar
            for bar, report in reports.items()
            if report.digits[k].fidelity >= SWEEP_FIDELITY_FLOOR
            and report.digits[k].precision >= SWEEP_PRECISION_FLOOR
        ]
        suggested.append(min(fit) if fit else ACCEPT_CONFIDENCE)
    return suggested


def print_sweep(reports: dict, samples: int, seeds: tuple[int, ...]) -> None:
    print(f"\nper digit and bar, {samples} per digit and request seed {', '.join(map(str, seeds))}")
    print("digit  " + "  ".join(f"{f'bar {bar}: fid prec recall':>28s}" for bar in reports))
    for k in range(10):
        scores = [report.digits[k] for report in reports.values()]
        print(
            f"  {k}    " + "  ".join(f"{d.fidelity:15.2%} {d.precision:5.3f} {d.recall:6.3f}" for d in scores)
        )


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
