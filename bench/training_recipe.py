"""`python -m bench.training_recipe`: a candidate training recipe against `make train`'s, in one run.

Both recipes are trained by `genai-bot train` in a process of its own, as `make train` runs it
(the self-check classifier, the digit-ness model, the epochs and the export), on the same digits
and training seeds, alternating, so load from other processes on the machine hits both alike.
Per run: wall time and the process's CPU time (user + sys, all threads: what the load sways
least), then the model's quality:
  −ELBO      the export's held-out −ELBO in nats per validation digit (the model card's);
  fidelity   the share of `/digit k` images (the request path, `--samples` a class and request
             seed) the bench's judge labels k (bench.vae_quality: the more accurate of its two
             judges on real validation digits);
  variety    bench.variety's improved precision and recall (k = 5) and Fréchet distance in that
             judge's features, per request seed, averaged over `--request-seeds`.
The goals (issue: "training to quality in half the time"): wall time ≤ 0.5× make train's,
−ELBO within 1 nat of it, precision and recall within 0.02, fidelity ≥ 99% for every digit.
Each training seed's new (candidate) run is held against the old recipe's (make train's) run on
the same seed when there is one, else against the mean of the old recipe's runs.

    python -m bench.training_recipe                                  # seeds 0 and 1, both recipes
    python -m bench.training_recipe --seeds 0 1 --baseline-seeds 0  # the old recipe on seed 0 only
    python -m bench.training_recipe --new="--epochs 30 --batch-size 64 --learning-rate 0.003"
    python -m bench.training_recipe --baseline-epochs 4 --new-epochs 2 --samples 50   # a quick try

`--keep DIR` keeps the trained folders (and their timings) in DIR; with `--reuse` a folder there
that finished the same recipe is scored again instead of retrained.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.arguments import DIGITS_8K, bench_parser

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = DIGITS_8K
# make train's recipe (the Makefile's arguments, and the defaults it leaves as they are, in full).
BASELINE_ARGS = (
    *("--epochs", "75", "--batch-size", "128", "--learning-rate", "0.001", "--precision", "float32"),
)
# The candidate: the best this bench found (docs/training.md, "Recipe"); --new gives another.
NEW_ARGS = ("--epochs", "31", "--batch-size", "64", "--learning-rate", "0.003", "--precision", "auto")
QUICK_ARGV = ["--seeds", "0", "--baseline-epochs", "3", "--new-epochs", "2", "--samples", "50"]

WALL_GOAL = 0.5
ELBO_GOAL_NATS = 1.0
VARIETY_GOAL = 0.02
FIDELITY_GOAL = 0.99


@dataclass
class Run:
    recipe: str  # "baseline" or "new"
    seed: int
    command: list[str]
    folder: Path
    wall: float = 0.0
    cpu: float = 0.0
    reused: bool = False
    quality: dict = field(default_factory=dict)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("bench.training_recipe", __doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1], help="training seeds of the new recipe"
    )
    parser.add_argument(
        "--baseline-seeds",
        type=int,
        nargs="*",
        default=None,
        help="training seeds of the old recipe (default: the same as --seeds)",
    )
    parser.add_argument(
        "--new",
        default=shlex.join(NEW_ARGS),
        help=f"the candidate's genai-bot train arguments (default: {shlex.join(NEW_ARGS)!r})",
    )
    parser.add_argument("--baseline-epochs", type=int, default=None, help="override the old recipe's epochs")
    parser.add_argument("--new-epochs", type=int, default=None, help="override the new recipe's epochs")
    parser.add_argument("--samples", type=int, default=200, help="/digit images per class and request seed")
    parser.add_argument("--request-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--keep", type=Path, default=None, help="keep the trained folders here")
    parser.add_argument("--reuse", action="store_true", help="score finished folders in --keep again")
    args = parser.parse_args(argv)
    baseline_seeds = args.seeds if args.baseline_seeds is None else args.baseline_seeds
    work = args.keep or Path(tempfile.mkdtemp(prefix="training-recipe-"))
    work.mkdir(parents=True, exist_ok=True)

    recipes = {
        "baseline": with_epochs(BASELINE_ARGS, args.baseline_epochs),
        "new": with_epochs(tuple(shlex.split(args.new)), args.new_epochs),
    }
    print(f"data: {args.data}; {os.cpu_count()} cores, load average {load_average()} at the start")
    for name, extra in recipes.items():
        print(f"  {name:8s} genai-bot train {shlex.join(extra) or '(the defaults)'}")
    print(f"  (both: {fixed_settings()})")

    # Alternating, so both recipes meet the same load: baseline s0, new s0, baseline s1, new s1.
    runs: list[Run] = []
    for seed in sorted(set(args.seeds) | set(baseline_seeds)):
        for name in ("baseline", "new"):
            if seed in (baseline_seeds if name == "baseline" else args.seeds):
                runs.append(train_run(name, recipes[name], seed, args.data, work, reuse=args.reuse))

    print(f"\nscoring (load average {load_average()})", flush=True)
    score_runs(runs, args.data, samples=args.samples, request_seeds=args.request_seeds)
    missed = report(runs)
    print(f"\nload average {load_average()} at the end; trained folders in {work}")
    return 0 if not missed else 1


def with_epochs(recipe: tuple[str, ...], epochs: int | None) -> list[str]:
    extra = list(recipe)
    if epochs is None:
        return extra
    if "--epochs" in extra:
        extra[extra.index("--epochs") + 1] = str(epochs)
        return extra
    return [*extra, "--epochs", str(epochs)]


def fixed_settings() -> str:
    """What neither recipe's arguments change, and what "auto" precision is on this CPU."""
    from genai_models.vae.training.precision import resolve_precision
    from genai_models.vae.training.trainer import TrainingConfig

    config = TrainingConfig()
    return (
        f"AdamW, cosine decay to {config.final_learning_rate_fraction:g}× the rate by the last "
        f"epoch, weight decay {config.weight_decay:g}; precision auto is {resolve_precision('auto')} here"
    )


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def train_run(name: str, extra: list[str], seed: int, data: Path, work: Path, *, reuse: bool) -> Run:
    folder = work / f"{name}-seed{seed}"
    command = [
        *("genai-bot", "train", "--data", str(data), "--seed", str(seed)),
        *extra,
        *("--out", str(folder)),
    ]
    run = Run(name, seed, command, folder)
    timing_file = folder / "bench-timing.json"
    if reuse and timing_file.is_file():
        kept = json.loads(timing_file.read_text())
        if kept["command"] == command:
            run.wall, run.cpu, run.reused = kept["wall"], kept["cpu"], True
            print(f"{name}, seed {seed}: reused {folder} (wall {run.wall:.1f} s, CPU {run.cpu:.1f} s)")
            return run
    if folder.exists():
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    folder.mkdir(parents=True)
    print(f"{name}, seed {seed}: {shlex.join(command)}", flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(folder.parent / f"{folder.name}.log", "w") as log:
        result = subprocess.run(
            [sys.executable, "-m", "bot", *command[1:]],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])},
        )
    run.wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed (exit {result.returncode}); see {log.name}")
    timing_file.write_text(json.dumps({"command": command, "wall": run.wall, "cpu": run.cpu}))
    print(f"  wall {run.wall:.1f} s, CPU {run.cpu:.1f} s (load average {load_average()})", flush=True)
    return run


def score_runs(runs: list[Run], data_path: Path, *, samples: int, request_seeds: list[int]) -> None:
    from bench.variety import score
    from genai_models.vae.serving.sampler import DigitSampler
    from genai_models.vae.training.data import load_digits, split
    from genai_models.vae.training.judge import JUDGES, most_accurate, served_digits, train_judge

    data = split(load_digits(data_path))
    judge = most_accurate({name: train_judge(data, name) for name in JUDGES})
    print(
        f"judge: {judge.name} ({judge.accuracy:.1%} accurate on the {len(data.validation)} real "
        f"validation digits); {samples} /digit images a class for each of request seeds "
        f"{', '.join(map(str, request_seeds))}"
    )
    train_features = judge.features(data.train.images)
    labels = np.repeat(np.arange(10), samples)
    for run in runs:
        sampler = DigitSampler.load(run.folder)
        per_seed, hits = [], np.zeros(10)
        for request_seed in request_seeds:
            images = [served_digits(sampler, k, samples, base_seed=request_seed) for k in range(10)]
            hits += [np.sum(judge.classify(x) == k) for k, x in enumerate(images)]
            per_seed.append(
                score(train_features, data.train.labels, judge.features(np.concatenate(images)), labels)
            )
        run.quality = {
            "elbo": float(sampler.card["validation"]["negative_elbo_nats"]),
            "version": sampler.card["version"],
            "fidelity": list(hits / (samples * len(request_seeds))),
            "precision": statistics.fmean(r["precision"] for r in per_seed),
            "recall": statistics.fmean(r["recall"] for r in per_seed),
            "worst_recall": statistics.fmean(min(r["recall_per_class"]) for r in per_seed),
            "frechet": statistics.fmean(r["frechet"] for r in per_seed),
            "non_digits_accepted": digitness_figure(run.folder),
        }


def digitness_figure(folder: Path) -> str:
    """The share of non-digit pictures /handwriting's digit-ness bar lets through, as its
    training measured it on pictures it never trained on (the ONNX file's metadata)."""
    import onnx

    from genai_models.vae.serving.digitness import DIGITNESS_ONNX

    path = folder / DIGITNESS_ONNX
    if not path.is_file():
        return "—"
    metadata = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    return f"{float(metadata['tuning_negatives_accepted']):.1%}"


def report(runs: list[Run]) -> list[str]:
    """Print each new run beside its baseline; returns the goals missed."""
    baselines = {run.seed: run for run in runs if run.recipe == "baseline"}
    missed = []
    for run in (run for run in runs if run.recipe == "new"):
        if run.seed in baselines:
            base, against = baselines[run.seed], f"the old recipe on seed {run.seed}"
        elif len(baselines) == 1:
            (base,) = baselines.values()
            against = f"the old recipe on seed {base.seed} (not run on seed {run.seed})"
        elif baselines:
            base, against = mean_run(list(baselines.values())), "the old recipe's mean over its seeds"
        else:
            print(f"\nnew recipe, seed {run.seed}: no old-recipe run to compare with")
            continue
        print(f"\ntraining seed {run.seed}: new recipe against {against}")
        print(f"  {'':28s}{'old':>12s}{'new':>12s}   new/old")
        goals = [
            row("wall", base.wall, run.wall, "s", ratio_goal=WALL_GOAL),
            row("CPU (user+sys)", base.cpu, run.cpu, "s", ratio_goal=WALL_GOAL),
        ]
        q, b = run.quality, base.quality
        goals.append(row("−ELBO (nats per digit)", b["elbo"], q["elbo"], "", diff_goal=ELBO_GOAL_NATS))
        goals.append(
            row(
                "variety precision",
                b["precision"],
                q["precision"],
                "",
                diff_goal=VARIETY_GOAL,
                both_ways=True,
            )
        )
        goals.append(
            row("variety recall", b["recall"], q["recall"], "", diff_goal=VARIETY_GOAL, both_ways=True)
        )
        row("  worst class recall", b["worst_recall"], q["worst_recall"], "")
        row("Fréchet distance", b["frechet"], q["frechet"], "")
        worst_new = min(q["fidelity"])
        fidelity_ok = worst_new >= FIDELITY_GOAL
        print(
            f"  {'worst-class fidelity':28s}{min(b['fidelity']):>12.1%}{worst_new:>12.1%}   "
            f"(goal ≥ {FIDELITY_GOAL:.0%} every digit: {verdict(fidelity_ok)})"
        )
        for name, fidelity in (("old", b["fidelity"]), ("new", q["fidelity"])):
            print(f"    {name} per digit " + " ".join(f"{k}:{v:.1%}" for k, v in enumerate(fidelity)))
        goals.append(fidelity_ok)
        print(
            f"  {'digit-ness (/handwriting)':28s}non-digits its bar accepts on its tuning split: "
            f"old {b['non_digits_accepted']}, new {q['non_digits_accepted']}"
        )
        names = ["wall", "CPU", "−ELBO", "precision", "recall", "fidelity"]
        missed += [f"{name} (seed {run.seed})" for name, ok in zip(names, goals, strict=True) if not ok]
    print("\nverdict: " + ("every goal met on every seed" if not missed else f"MISSED: {', '.join(missed)}"))
    return missed


def row(name, old, new, unit, *, ratio_goal=None, diff_goal=None, both_ways=False) -> bool:
    ratio = new / old if old else float("nan")
    spec = ".1f" if unit == "s" or abs(old) >= 10 else ".3f"
    line = f"  {name:28s}{format(old, spec) + (' ' + unit if unit else ''):>12s}"
    line += f"{format(new, spec) + (' ' + unit if unit else ''):>12s}   {ratio:.2f}×"
    ok = True
    if ratio_goal is not None:
        ok = ratio <= ratio_goal
        line += f"   (goal ≤ {ratio_goal}×: {verdict(ok)})"
    elif diff_goal is not None:
        diff = new - old
        ok = abs(diff) <= diff_goal if both_ways else diff <= diff_goal
        bound = f"within ±{diff_goal}" if both_ways else f"≤ +{diff_goal:g}"
        line += f"   {diff:+.3f} (goal {bound}: {verdict(ok)})"
    print(line)
    return ok


def mean_run(runs: list[Run]) -> Run:
    mean = Run("baseline", -1, [], Path())
    mean.wall = statistics.fmean(run.wall for run in runs)
    mean.cpu = statistics.fmean(run.cpu for run in runs)
    keys = ("elbo", "precision", "recall", "worst_recall", "frechet")
    mean.quality = {key: statistics.fmean(run.quality[key] for run in runs) for key in keys}
    mean.quality["fidelity"] = list(np.mean([run.quality["fidelity"] for run in runs], axis=0))
    mean.quality["non_digits_accepted"] = ", ".join(run.quality["non_digits_accepted"] for run in runs)
    return mean


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    raise SystemExit(main())
