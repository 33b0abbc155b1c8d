"""`python -m bench.training_prepare`: how long a chat training job takes to its first epoch, the
first time on a set of digits and the next.

Runs the real training job (`python -m bot.training.job_process`, as `/train start` does) twice
in one jobs folder, on the same digits and seed. Before its first epoch a job prepares what does
not depend on the new model: the serving model's scores, the per-digit judge, the self-check
classifier and /handwriting's digit-ness model. The first job makes them all (the baseline);
the second finds them in the jobs folder, kept by the first. For each job it prints its logged
steps from its start, and the time from the job's start to its first finished epoch (status.json
polled every 0.1 s); then the second's over the first's, and whether both trained the same
models (the kept self-check and digit-ness model are the ones the first job made, so the
weights must match to the bit).

The digits are bench.training_swap's: the fixtures' real ones, shifted, `--digits` of them
(default 8,000, the shipped model's sizes). The job runs at nice 10, as in production: on a busy
machine read the CPU seconds beside the wall time.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from bench.arguments import bench_parser
from bench.training_swap import REPO_ROOT, JobRun, make_digits, run_job, saved_weights

QUICK_ARGV = ["--digits", "2000", "--epochs", "1"]
MODELS = ("checker.keras", "digitness.onnx")


def to_first_epoch(run: JobRun) -> float:
    return run.first_epoch_at - run.started_at


def report(run: JobRun) -> None:
    print(f"\n{run.name}: start → first epoch finished {to_first_epoch(run):.1f} s")
    for when, message in run.steps:
        if when <= run.first_epoch_at:
            print(f"  {when - run.started_at:+7.1f} s  {message[:100]}")


def same_models(first: JobRun, second: JobRun) -> list[str]:
    """The kept models that differ between the two jobs' exports (none, when reused as made)."""
    differ = []
    for name in MODELS:
        a, b = first.job_dir / name, second.job_dir / name
        same = (
            saved_weights(a) == saved_weights(b)
            if name.endswith(".keras")
            else a.read_bytes() == b.read_bytes()
        )
        if not same:
            differ.append(name)
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("bench.training_prepare", __doc__)
    parser.add_argument("--digits", type=int, default=8000, help="digits to train and validate on")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--epochs",
        type=int,
        default=10,
        help="epochs per job (default 10: a shorter job trains its digit-ness model as many epochs "
        "only, at most 10, so fewer understate what the first job makes)",
    )
    args = parser.parse_args(argv)
    logging.getLogger("genai_models").setLevel(logging.ERROR)
    print(
        f"{args.digits} digits, {args.epochs} epochs per job, seed {args.seed}; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    with tempfile.TemporaryDirectory(prefix="training-prepare-") as scratch_name:
        scratch = Path(scratch_name)
        spec = {
            "epochs": args.epochs,
            "seed": args.seed,
            "data": str(make_digits(args.digits, scratch / "digits.npz")),
            "resume": False,
            "serving_model_dir": None,
        }
        jobs = scratch / "jobs"
        first = run_job("first job on these digits", REPO_ROOT, jobs / "job-0001", spec)
        report(first)
        second = run_job("second job, same digits and seed", REPO_ROOT, jobs / "job-0002", spec)
        report(second)
        differ = same_models(first, second)
    ratio = to_first_epoch(second) / to_first_epoch(first)
    print(
        f"\nstart → first epoch: second {to_first_epoch(second):.1f} s, first "
        f"{to_first_epoch(first):.1f} s ({ratio:.2f}×)"
    )
    print(
        "the same self-check and digit-ness model in both"
        if not differ
        else f"DIFFERENT between the jobs: {', '.join(differ)}"
    )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
