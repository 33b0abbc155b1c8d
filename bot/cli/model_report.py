"""`genai-bot model-report`: the digit model's per-digit fairness report.

Per digit: requested-class fidelity and variety (precision, recall) scored by the bench's
independent judge, and each measure's worst-to-best ratio; read from the report beside the
model card (written by `python -m bench.fairness --write`, or by a training job for a model
trained from chat). No TensorFlow: it reads two JSON files. `--measure` makes the report of a
model that has none (one trained with `genai-bot train`) as the bench does, and writes it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from pathlib import Path

from bot.cli import HELP_WIDTH, CliError, add_command
from bot.settings import Settings

LANGUAGES = ("en", "es")


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "model-report",
        help="show the digit model's per-digit fidelity and variety, worst to best",
        environment=("GENAI_MODEL_DIR",),
    )  # fmt: skip
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="a model folder (default: GENAI_MODEL_DIR, else the shipped model)",
    )
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help="en (default) or es")
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    measuring = parser.add_argument_group(
        "measuring a model without a report",
        textwrap.fill(
            "A model trained with `genai-bot train` has none: --measure trains the bench's judges "
            "on the model's digits and scores every digit (minutes, with TensorFlow).",
            HELP_WIDTH,
        ),
    )
    measuring.add_argument(
        "--measure",
        action="store_true",
        help="measure the report now, write it beside the model card, and show it",
    )
    measuring.add_argument(
        "--force",
        action="store_true",
        help="with --measure: measure a model that already has a report, and replace it",
    )
    measuring.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the digits the model was trained on (.npz; default: the card's data source)",
    )
    measuring.add_argument(
        "--samples",
        type=int,
        default=None,
        help="drawings per digit and request seed (default: the bench's)",
    )
    measuring.add_argument(
        "--judge-epochs",
        type=int,
        default=None,
        help="train each judge this many epochs (default: its recipe's)",
    )
    parser.set_defaults(handler=handle_model_report)


def handle_model_report(args: argparse.Namespace, settings: Settings) -> int:
    from genai_models.vae.serving.card import PRETRAINED_DIR, read_card
    from genai_models.vae.training.fairness import read_report, report_table

    model_dir = args.model_dir or settings.model_dir or PRETRAINED_DIR
    card = read_card(model_dir)  # a missing or broken card is one line (a GenAIError)
    report = _measured(args, model_dir, card) if args.measure else read_report(model_dir, card)
    if report is None:
        raise CliError(
            f"model {card.get('version', '?')} in {model_dir} has no per-digit report; measure "
            f"it with `genai-bot model-report --model-dir {model_dir} --measure` (minutes)"
        )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(f"VAE {report.model_version}\n{report_table(report, args.lang)}")
    return 0


def _measured(args: argparse.Namespace, model_dir: Path, card: dict):
    """The report measured as `python -m bench.fairness --write` does, and written."""
    from genai_models.vae.serving.card import CARD_FILE
    from genai_models.vae.training.fairness import read_report
    from genai_models.vae.training.generative_metrics import K_NEAREST

    kept = read_report(model_dir, card)
    if kept is not None and not args.force:
        raise CliError(
            f"model {card.get('version', '?')} already has a per-digit report (judge "
            f"{kept.judge_accuracy:.1%} accurate, {kept.samples_per_digit} drawings a digit per "
            "seed): pass --force to measure it again and replace it",
            exit_code=2,
        )
    if args.samples is not None and args.samples <= K_NEAREST:
        raise CliError(f"--samples must be more than {K_NEAREST}: variety needs that many", exit_code=2)
    if args.judge_epochs is not None and args.judge_epochs < 1:
        raise CliError("--judge-epochs must be at least 1", exit_code=2)
    source = card.get("data", {}).get("source")
    data_path = args.data or (_found(Path(source)) if source else None)
    if args.data is not None and not args.data.is_file():
        raise CliError(f"--data {args.data}: no such file", exit_code=2)
    if data_path is None or not data_path.is_file():
        where = f"its card says {data_path}, which is not there" if data_path else "its card does not say"
        raise CliError(
            f"which digits model {card.get('version', '?')} was trained on: {where}; give them "
            "with --data DIGITS.npz",
            exit_code=2,
        )
    if not all(os.access(path, os.W_OK) for path in (model_dir, model_dir / CARD_FILE)):
        raise CliError(
            f"cannot write a report into {model_dir}: this user may not change it (copy the model "
            "folder somewhere writable, or run as its owner)",
            exit_code=2,
        )
    from genai_models.errors import GenAIError
    from genai_models.vae.serving.sampler import DigitSampler
    from genai_models.vae.training.data import load_digits, require_enough_of_each_digit, split
    from genai_models.vae.training.fairness import DEFAULT_SAMPLES, measure_against, write_report
    from genai_models.vae.training.judge import most_accurate, trained_judges

    # TensorFlow warns that predict retraces for the judges' differently sized batches: true,
    # cheap here, and nothing a user can act on.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        digits = load_digits(data_path)
        require_enough_of_each_digit(digits)
        data = split(digits)
        sampler = DigitSampler.load(model_dir)
    except GenAIError as exc:
        raise CliError(str(exc)) from None
    print(
        f"training the judges on {len(data.train)} digits of {data_path}, then scoring every digit…",
        file=sys.stderr,
    )
    judge = most_accurate(trained_judges(data, epochs=args.judge_epochs))
    report = measure_against(sampler, judge, data, samples=args.samples or DEFAULT_SAMPLES)
    try:
        write_report(model_dir, report)
    except OSError as exc:  # what the file's name would be is a temporary file's: say the folder
        raise CliError(
            f"the report was measured but cannot be written into {model_dir}: {exc.strerror or exc}"
        ) from None
    print(f"wrote {model_dir / 'fairness.json'} and its reference in the model card", file=sys.stderr)
    return report


def _found(source: Path) -> Path:
    """`source` as given, else (a relative one, such as the shipped card's
    datasets/mnist-digits-8k.npz) under the checkout this package runs from, when it is there."""
    from bot.settings import PROJECT_DIR

    if source.is_absolute() or source.is_file():
        return source
    in_checkout = PROJECT_DIR / source
    return in_checkout if in_checkout.is_file() else source
