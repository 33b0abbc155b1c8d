"""`genai-bot …`: one command line over the same services the Discord bot uses.

Each subcommand lives in its own module exposing `register(subparsers)`, which adds a parser
whose `handler(args, settings) -> int` default does the work. Modules are imported lazily
inside the handlers where they need TensorFlow or discord.py, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from bot.settings import Settings, SettingsError, load_settings
from genai_models.errors import GenAIError

log = logging.getLogger(__name__)

# Order here is the order shown in --help.
SUBCOMMAND_MODULES = ("bot.cli.run", "bot.cli.poem", "bot.cli.vae")


class CliError(Exception):
    """A one-line message for stderr; the command exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genai-bot",
        description="Generative AI for Discord: poems from chat models, digits from a VAE.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a feature module not written yet must not hide the rest
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Chatty third-party loggers add nothing an operator needs at INFO.
    for noisy in ("httpx", "httpx2", "openai", "discord.gateway", "absl"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings: Settings = load_settings()
    except SettingsError as exc:
        print(f"genai-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return int(args.handler(args, settings) or 0)
    except CliError as exc:
        print(f"genai-bot: {exc}", file=sys.stderr)
        return exc.exit_code
    except GenAIError as exc:  # already a user-safe sentence
        print(f"genai-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("genai-bot: interrupted", file=sys.stderr)
        return 130
