"""The command line every bench starts from: `python -m bench.NAME --help` shows the bench's
module docstring as it is written (its commands and tables keep their lines)."""

from __future__ import annotations

import argparse
from pathlib import Path

# The 8,000 real MNIST digits the shipped model was trained on, shipped in the clone.
DIGITS_8K = Path(__file__).resolve().parents[1] / "datasets" / "mnist-digits-8k.npz"


def bench_parser(module: str, doc: str | None, *, model_dir: bool = False) -> argparse.ArgumentParser:
    """The parser of `python -m MODULE`, described by `doc`; `model_dir` adds the benches'
    shared `--model-dir` (a model folder to measure instead of the shipped weights)."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {module}", description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    if model_dir:
        parser.add_argument("--model-dir", type=Path, default=None, help="default: shipped weights")
    return parser
