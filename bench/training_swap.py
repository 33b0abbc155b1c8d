"""`python -m bench.training_swap`: how long after its last epoch a model trained from chat serves.

Runs the real training job (`python -m bot.training.job_process`, as `/train start` does) twice
on the same digits and seed, each in a fresh jobs folder (nothing cached from an earlier job):
once with the code of a baseline commit (`--baseline-ref`, unpacked with `git archive` into a
temporary folder), once with this tree. For each it measures, from the job's own files:

- the last epoch's end: status.json first shows the last epoch (polled every 0.1 s);
- checked: evaluation.json written (the swap rule's scores; the process exits just after);
- swapped in: what the bot then does (bot.training.supervisor), timed here: the swap rule,
  the files copied into a registry folder, the model loaded by the serving sampler.

It prints each job's steps as its log dates them, from its last epoch's end; the ratio of
"last epoch → swapped in", ours over the baseline's; and whether both reached the same model
and the same scores (the self-check fidelity is drawn from fresh entropy in both, so it is
shown, not compared). Goal: last epoch → swapped in ≤ 30 s. The job runs at a lower CPU priority
(nice 10) as in production, so on a busy machine its wall time stretches with others' load: each
job's CPU seconds after its last epoch are printed beside, the work itself.

The digits: the 1,100 real ones in tests/fixtures, shifted by up to 2 pixels into `--digits`
(default 8,000: 6,000 to train, 2,000 to validate, the shipped model's sizes). Both jobs share
this machine's cores with whatever else runs: they run one after the other, so compare them in
one run, and run it twice before believing a ratio.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from bench.arguments import bench_parser

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
GOAL_S = 30.0
# The last commit whose job did all its checking after the last epoch.
DEFAULT_BASELINE = "af54631"
QUICK_ARGV = ["--epochs", "2"]
_LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\w+)\s+([\w.]+): (.*)$")


def make_digits(count: int, path: Path) -> Path:
    """`count` digits: the fixtures' real ones, each shifted by -2..2 pixels on both axes."""
    images, labels = [], []
    for name, (x, y) in {
        "mnist-600.npz": ("x_train", "y_train"),
        "mnist-heldout-400.npz": ("x", "y"),
        "mnist-first-100.npz": ("x_train", "y_train"),
    }.items():
        with np.load(FIXTURES / name) as data:
            images.append(data[x])
            labels.append(data[y])
    images, labels = np.concatenate(images), np.concatenate(labels)
    rng = np.random.default_rng(0)
    picked = rng.integers(0, len(images), count)
    shifts = rng.integers(-2, 3, (count, 2))
    shifted = np.stack(
        [np.roll(images[i], tuple(shift), axis=(0, 1)) for i, shift in zip(picked, shifts, strict=True)]
    )
    np.savez_compressed(path, x=shifted, y=labels[picked])
    return path


@dataclass
class JobRun:
    name: str
    job_dir: Path
    last_epoch_at: float = 0.0  # time.time()
    started_at: float = 0.0
    first_epoch_at: float = 0.0  # status.json first shows an epoch finished
    checked_at: float = 0.0
    exited_at: float = 0.0
    swapped_at: float = 0.0
    cpu_at_last_epoch: float = 0.0  # the job process's CPU seconds (all its threads)
    cpu_at_exit: float = 0.0
    swap_steps: dict[str, float] = field(default_factory=dict)
    steps: list[tuple[float, str]] = field(default_factory=list)  # (time.time(), message)
    evaluation: dict = field(default_factory=dict)
    verdict: str = ""

    @property
    def to_swap_s(self) -> float:
        return self.swapped_at - self.last_epoch_at

    @property
    def cpu_after_s(self) -> float:
        return self.cpu_at_exit - self.cpu_at_last_epoch


def run_job(name: str, tree: Path, job_dir: Path, spec: dict) -> JobRun:
    """The job process from `tree` on `spec`, watched until it exits."""
    job_dir.mkdir(parents=True)
    (job_dir / "job.json").write_text(json.dumps(spec))
    log_path = job_dir / "job.log"
    env = os.environ | {"PYTHONPATH": str(tree), "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = JobRun(name, job_dir, started_at=time.time())
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.training.job_process", str(job_dir)],
            cwd=tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        while process.poll() is None:
            now = time.time()
            cpu = _cpu_seconds(process.pid)
            result.cpu_at_exit = cpu or result.cpu_at_exit  # the last reading before it exits
            epoch = _epoch(job_dir)
            if not result.first_epoch_at and epoch >= 1:
                result.first_epoch_at = now
            if not result.last_epoch_at and epoch >= spec["epochs"]:
                result.last_epoch_at, result.cpu_at_last_epoch = now, cpu
            if not result.checked_at and (job_dir / "evaluation.json").is_file():
                result.checked_at = now
            time.sleep(0.1)
        result.exited_at = time.time()
    if process.returncode != 0:
        raise RuntimeError(f"{name}: the job exited with {process.returncode}; see {log_path}")
    result.checked_at = result.checked_at or result.exited_at
    result.steps = _log_steps(log_path)
    result.evaluation = json.loads((job_dir / "evaluation.json").read_text())
    return result


def swap_in(result: JobRun, job_dir: Path, models_dir: Path) -> None:
    """The supervisor's side, after the job's exit: the rule, the registry copy, the load."""
    from bot.settings import Settings
    from bot.training.registry import install_files
    from bot.training.spec import Evaluation
    from bot.training.swap import judge
    from genai_models.vae.serving.sampler import DigitSampler

    settings = Settings()
    started = time.time()
    evaluation = Evaluation.read(job_dir)
    verdict = judge(
        evaluation,
        max_elbo_increase=settings.swap_max_elbo_increase,
        min_fidelity=settings.swap_min_fidelity,
        max_digit_drop=settings.swap_max_digit_drop,
    )
    result.verdict = "passed" if verdict.passed else f"rejected ({verdict.reason})"
    ruled = time.time()
    path = install_files(job_dir, models_dir, evaluation.version)
    copied = time.time()
    # The bot loads only a model that passed; a short bench run's model may not, so it is
    # loaded as it would be (timing the same work) without refusing an undertrained one.
    DigitSampler.load(path, refuse_undertrained=False)
    result.swapped_at = time.time()
    result.swap_steps = {
        "swap rule": ruled - started,
        "copied to the registry": copied - ruled,
        "loaded by the sampler": result.swapped_at - copied,
    }
    result.swapped_at = result.exited_at + (result.swapped_at - started)  # as if right at exit


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _epoch(job_dir: Path) -> int:
    try:
        return int(json.loads((job_dir / "status.json").read_text()).get("epoch") or 0)
    except (OSError, ValueError):
        return 0


def _log_steps(path: Path) -> list[tuple[float, str]]:
    steps = []
    for line in path.read_text(errors="replace").splitlines():
        match = _LOG_LINE.match(line)
        if match and match[2] == "INFO":
            when = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").astimezone().timestamp()
            steps.append((when, match[4]))
    return steps


def baseline_tree(ref: str, scratch: Path) -> Path:
    """The repository at `ref`, unpacked (no git state of ours touched)."""
    tree = scratch / f"baseline-{ref}"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def report(run: JobRun) -> None:
    print(
        f"\n{run.name}: last epoch → swapped in {run.to_swap_s:.1f} s ({run.verdict}); "
        f"the job's CPU time after its last epoch {run.cpu_after_s:.1f} s"
    )
    for when, message in run.steps:
        offset = when - run.last_epoch_at
        if offset >= -0.5:
            print(f"  {offset:+7.1f} s  {message[:100]}")
    print(f"  {run.checked_at - run.last_epoch_at:+7.1f} s  evaluation.json written")
    print(f"  {run.exited_at - run.last_epoch_at:+7.1f} s  job process exited")
    for step, seconds in run.swap_steps.items():
        print(f"           then {step}: {seconds:.2f} s")
    before = [(when, message) for when, message in run.steps if when < run.last_epoch_at - 0.5]
    if len(before) > 1:
        print(f"  before the first epoch: {before[-1][0] - before[0][0]:.1f} s of logged steps")


# The version is a hash of the saved file, whose metadata dates the save: it differs between any
# two jobs. The weights are compared instead.
SAME_FIELDS = ("negative_elbo", "serving_version", "serving_negative_elbo")
SAVED_MODELS = ("vae.keras", "checker.keras")


def compare(ours: JobRun, baseline: JobRun) -> list[str]:
    """What differs: the saved models' weights, the scores (the fidelity is drawn afresh by
    each job: not compared)."""
    differ = [
        name
        for name in SAVED_MODELS
        if saved_weights(ours.job_dir / name) != saved_weights(baseline.job_dir / name)
    ]
    differ += [name for name in SAME_FIELDS if ours.evaluation.get(name) != baseline.evaluation.get(name)]
    for name in ("fairness", "serving_fairness"):
        if _scores(ours.evaluation.get(name)) != _scores(baseline.evaluation.get(name)):
            differ.append(name)
    return differ


def saved_weights(path: Path) -> dict[str, bytes]:
    """Every weight array of a saved .keras file, as bytes by its path in the file."""
    import io
    import zipfile

    import h5py

    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as h5:
        arrays: dict[str, bytes] = {}

        def keep(key: str, node) -> None:
            if isinstance(node, h5py.Dataset):
                arrays[key] = node[()].tobytes()

        h5.visititems(keep)
        return arrays


def _scores(report: dict | None) -> object:
    if not report:
        return None
    return [(d["digit"], d["fidelity"], d["precision"], d["recall"]) for d in report["digits"]]


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("bench.training_swap", __doc__)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per job (default 3)")
    parser.add_argument("--digits", type=int, default=8000, help="digits to train and validate on")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-ref",
        default=DEFAULT_BASELINE,
        help=f"commit whose job is the baseline (default {DEFAULT_BASELINE}); 'none' to skip it",
    )
    args = parser.parse_args(argv)
    # The sampler's warnings about a short run's undertrained model: the verdict says it.
    logging.getLogger("genai_models").setLevel(logging.ERROR)
    load = os.getloadavg()[0]
    print(
        f"{args.digits} digits, {args.epochs} epochs, seed {args.seed}; {os.cpu_count()} cores, "
        f"load average {load:.1f} at the start"
    )
    with tempfile.TemporaryDirectory(prefix="training-swap-") as scratch_name:
        scratch = Path(scratch_name)
        data = make_digits(args.digits, scratch / "digits.npz")
        spec = {
            "epochs": args.epochs,
            "seed": args.seed,
            "data": str(data),
            "resume": False,
            "serving_model_dir": None,
        }
        trees = {"ours": REPO_ROOT}
        if args.baseline_ref != "none":
            trees = {f"baseline ({args.baseline_ref})": baseline_tree(args.baseline_ref, scratch)} | trees
        runs = []
        for number, (name, tree) in enumerate(trees.items()):
            job_dir = scratch / f"jobs-{number}" / "job-0001"
            run = run_job(name, tree, job_dir, spec)
            swap_in(run, job_dir, scratch / f"models-{number}")
            report(run)
            runs.append(run)
        ours = runs[-1]
        print()
        if len(runs) == 2:
            baseline = runs[0]
            print(
                f"last epoch → swapped in: ours {ours.to_swap_s:.1f} s, baseline "
                f"{baseline.to_swap_s:.1f} s ({ours.to_swap_s / baseline.to_swap_s:.2f}×); the job's "
                f"CPU seconds after it: ours {ours.cpu_after_s:.1f}, baseline {baseline.cpu_after_s:.1f} "
                f"({ours.cpu_after_s / baseline.cpu_after_s:.2f}×)"
            )
            differ = compare(ours, baseline)
            print(
                "the same weights (VAE, self-check) and scores as the baseline's"
                if not differ
                else f"DIFFERENT from the baseline: {', '.join(differ)}"
            )
            fidelity = ours.evaluation["fidelity"], baseline.evaluation["fidelity"]
            print(f"fidelity (fresh draws): ours {fidelity[0]}, baseline {fidelity[1]}")
    met = ours.to_swap_s <= GOAL_S
    verdict = "met" if met else "MISSED"
    print(f"goal: last epoch → swapped in ≤ {GOAL_S:.0f} s: {ours.to_swap_s:.1f} s — {verdict}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
