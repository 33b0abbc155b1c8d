"""`genai-bot model-report`: the digit model's per-digit fairness report.

Per digit: requested-class fidelity and variety (precision, recall) scored by the bench's
independent judge, and each measure's worst-to-best ratio; read from the report beside the
model card (written by `python -m bench.fairness --write`, or by a training job for a model
trained from chat). No TensorFlow: it reads two JSON files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli import CliError, add_command
from bot.settings import Settings

LANGUAGES = ("en", "es")


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "model-report",
        help="show the digit model's per-digit fidelity and variety, worst to best",
        environment=("GENAI_MODEL_DIR", "LOG_LEVEL"),
    )  # fmt: skip
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="a model folder (default: GENAI_MODEL_DIR, else the shipped model)",
    )
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help="en (default) or es")
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    parser.set_defaults(handler=handle_model_report)


def handle_model_report(args: argparse.Namespace, settings: Settings) -> int:
    from genai_models.vae.serving.card import CARD_FILE, PRETRAINED_DIR
    from genai_models.vae.training.fairness import read_report, report_table

    model_dir = args.model_dir or settings.model_dir or PRETRAINED_DIR
    try:
        card = json.loads((model_dir / CARD_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise CliError(
            f"cannot read the model card in {model_dir}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    report = read_report(model_dir, card)
    if report is None:
        raise CliError(
            f"model {card.get('version', '?')} in {model_dir} has no per-digit report; "
            "write one from the project's folder (a checkout, with `make run`'s .venv) with "
            f"`.venv/bin/python -m bench.fairness --model-dir {model_dir.resolve()} --write`"
        )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(f"VAE {report.model_version}\n{report_table(report, args.lang)}")
    return 0
