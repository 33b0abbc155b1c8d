"""`python -m bench [NAME ...]`: run every benchmark (or the named ones) in one go.

Each bench is a module here with a `main()`; it prints its own figures and ratios. A bench that
raises (or exits non-zero) is reported and the rest still run; the exit status is 1 when any
failed.

Arguments after `--` go to every selected bench's main(); without them each gets its quick
default from QUICK_ARGV below (or the module's own `QUICK_ARGV`, when it defines one).
`--model-dir DIR` is passed on to the benches that serve a trained VAE (default: the shipped one).
`--write-docs PATH` also writes what every bench printed to PATH (`make bench`: docs/benchmarks.md),
replacing those benches' sections and keeping the others'.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import shlex
import sys
import time
import traceback
from pathlib import Path

from bench.arguments import bench_parser
from bench.report import Section, Tee, write_benchmarks_doc

# Run order: cheap, TensorFlow-free benches first, so their figures come even if TF misbehaves.
BENCHES = (
    "imaging_gif",
    "imaging_provenance",
    "content_credentials",
    "text_overhead",
    "streaming_moderation",
    "bot_latency",
    "fair_use_flood",
    "settings_cache",
    "training_heartbeat",
    "training_swap",
    "training_prepare",
    "training_recipe",
    "shard_throughput",
    "serving_start",
    "vae_speed",
    "vae_quality",
    "fairness",
    "handwriting_refusals",
)
# Defaults that keep `make bench` to a few minutes on the 2-core CPU; the modules' own defaults
# (run them directly) are the thorough ones.
# Benches whose main() takes --model-dir (a trained VAE folder).
MODEL_BENCHES = (
    "bot_latency",
    "serving_start",
    "vae_speed",
    "vae_quality",
    "fairness",
    "handwriting_refusals",
)
QUICK_ARGV: dict[str, list[str]] = {
    "text_overhead": ["--rounds", "100"],
    "vae_speed": ["--repeats", "20", "--epochs", "3", "--rounds", "1"],
}


def run_one(name: str, argv: list[str] | None, model_dir: str | None = None) -> tuple[str, list[str]]:
    """('ok' or 'failed', the arguments it ran with: those given, else its quick defaults)."""
    module_name = f"bench.{name}"
    try:
        module = importlib.import_module(module_name)
    except Exception:
        traceback.print_exc()
        return "failed", argv or []
    if argv is None:
        argv = list(getattr(module, "QUICK_ARGV", QUICK_ARGV.get(name, [])))
    if model_dir is not None and name in MODEL_BENCHES:
        argv = [*argv, "--model-dir", model_dir]
    return _call_main(module, argv), argv


def _call_main(module, argv: list[str]) -> str:
    module_name = module.__name__
    saved_argv = sys.argv
    # Benches that read sys.argv themselves (main() without parameters) see only their own args.
    sys.argv = [f"python -m {module_name}", *argv]
    try:
        takes_argv = bool(inspect.signature(module.main).parameters)
        result = module.main(argv) if takes_argv else module.main()
    except SystemExit as exc:  # argparse errors, or a bench signalling its own failure
        return "ok" if exc.code in (None, 0) else "failed"
    except Exception:
        traceback.print_exc()
        return "failed"
    finally:
        sys.argv = saved_argv
    return "failed" if isinstance(result, int) and result != 0 else "ok"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    bench_argv = None
    if "--" in argv:
        at = argv.index("--")
        argv, bench_argv = argv[:at], argv[at + 1 :]
    parser = bench_parser("bench", __doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benches to run (default: all of {', '.join(BENCHES)})"
    )
    parser.add_argument(
        "--model-dir",
        default=None,
        help="trained VAE folder for the benches that serve one (default: shipped)",
    )
    parser.add_argument(
        "--write-docs",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the benches' output into PATH (e.g. docs/benchmarks.md), replacing "
        "their sections and keeping the others'",
    )
    args = parser.parse_args(argv)
    names = args.names or list(BENCHES)
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; choose from {', '.join(BENCHES)}")

    outcomes: dict[str, tuple[str, float]] = {}
    sections: list[Section] = []
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        tee = Tee(sys.stdout)
        started = time.perf_counter()
        with contextlib.redirect_stdout(tee):
            outcome, argv_used = run_one(name, bench_argv, args.model_dir)
        seconds = time.perf_counter() - started
        outcomes[name] = (outcome, seconds)
        command = shlex.join(["python", "-m", f"bench.{name}", *argv_used])
        sections.append(Section(name, command, outcome, seconds, tee.copy.getvalue()))
        sys.stdout.flush()
    if args.write_docs is not None:
        write_benchmarks_doc(args.write_docs, sections, order=BENCHES)
        print(f"\nwrote {args.write_docs}")
    print("\n=== summary ===")
    for name, (outcome, seconds) in outcomes.items():
        print(f"  {name:14s} {outcome:7s} {seconds:6.1f} s")
    failed = [name for name, (outcome, _) in outcomes.items() if outcome == "failed"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
