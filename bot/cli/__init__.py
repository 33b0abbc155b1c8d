"""`genai-bot …`: one command line over the same services the Discord bot uses.

Each subcommand lives in its own module exposing `register(subparsers)`, which adds a parser
(with `add_command`, so its --help lists the environment it reads) whose
`handler(args, settings) -> int` default does the work. Modules are imported lazily
inside the handlers where they need TensorFlow or discord.py, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import textwrap
import warnings

from PIL import Image

from bot.ops.signals import restore_defaults, stop_requested
from bot.settings import ENVIRONMENT, Settings, SettingsError, load_settings, setting_notices
from genai_models.errors import GenAIError
from genai_models.vae.native_log_filter import native_noise_filtered

log = logging.getLogger(__name__)

HELP_WIDTH = 88  # descriptions are wrapped to it; the environment table is laid out by hand
# Order here is the order shown in --help.
SUBCOMMAND_MODULES = (
    "bot.cli.run",
    "bot.cli.health",
    "bot.cli.poem",
    "bot.cli.vae",
    "bot.cli.verify",
    "bot.cli.model_report",
)


class CliError(Exception):
    """A one-line message for stderr; the command exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genai-bot",
        description="Generative AI for Discord: poems from chat models, digits from a VAE.",
        epilog=environment_epilog(ENVIRONMENT) + "\n\n`genai-bot COMMAND --help` says more.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from genai_models.imaging.provenance import product_version

    parser.add_argument("--version", action="version", version=product_version())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def add_command(
    subparsers, name: str, *, help: str, environment: tuple[str, ...], description: str | None = None
) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with the environment variables it reads."""
    return subparsers.add_parser(
        name,
        help=help,
        description=textwrap.fill(description or help[0].upper() + help[1:] + ".", HELP_WIDTH),
        epilog=environment_epilog(environment),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


BROKEN_PIPE_EXIT_CODE = 141  # 128 + SIGPIPE, what a shell reports for a command cut off the same way
ENVIRONMENT_HEADING = "environment (real variables, else .env in the working directory or the checkout):"
# Every command logs (configure_logging, in main); every one that draws signs what it draws.
LOGGING_VARIABLES = ("LOG_LEVEL", "LOG_FORMAT")
SIGNING_VARIABLES = ("GENAI_DATA_DIR", "GENAI_C2PA_CERT", "GENAI_C2PA_KEY", "GENAI_C2PA_ALG")


def environment_epilog(names) -> str:
    names = tuple(dict.fromkeys((*names, *LOGGING_VARIABLES)))
    width = max(len(name) for name in names)
    lines = [f"  {name:<{width}}  {ENVIRONMENT[name]}" for name in names]
    return f"{ENVIRONMENT_HEADING}\n" + "\n".join(lines)


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        from bot.ops.logs import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    # Chatty third-party loggers add nothing an operator needs at INFO.
    # Alembic announces its plugins and each migration step at INFO on every start.
    for noisy in ("httpx", "httpx2", "openai", "discord.gateway", "absl", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("discord.client").addFilter(_without_voice_warnings)
        # Oversized uploads are refused with the product's own message (preprocess.py);
        # Pillow's warning on the way there says the same thing less clearly.
        warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def _without_voice_warnings(record: logging.LogRecord) -> bool:
    """The bot never joins voice: discord.py's warnings about missing voice libraries are noise."""
    return "voice will NOT be supported" not in record.getMessage()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if not getattr(args, "handles_stop_signals", False):
            restore_defaults()  # only `run` finishes work on a stop; the others just stop
    except KeyboardInterrupt:  # a Ctrl-C during the imports, delivered now
        print("genai-bot: interrupted", file=sys.stderr)
        return 130
    try:
        settings: Settings = load_settings()
    except SettingsError as exc:
        print(f"genai-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    for notice in setting_notices(settings):  # every command: a misspelt setting changes nothing
        logging.getLogger("bot.settings").warning(notice)
    try:
        # Below DEBUG the user sees the product's lines only, not TensorFlow's native ones.
        with native_noise_filtered(enabled=settings.log_level != "DEBUG"):
            # Content Credentials for every image drawn; the bot makes its signer at start-up
            # (its log says which signature its images get, and /about reads no disk).
            from bot.cli.signing import install_signer

            runs_bot = args.command in ("run", "start") and bool(settings.discord_token)
            try:
                install_signer(settings, now=runs_bot)
            except GenAIError as exc:  # its certificate or data folder: configuration
                print(f"genai-bot: {exc}", file=sys.stderr)
                return 2
            code = int(args.handler(args, settings) or 0)
            sys.stdout.flush()  # here, so that a reader gone early (`| head`) is caught below
            return code
    except BrokenPipeError:
        # The reader stopped reading: nothing more to say to it, and no traceback at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_EXIT_CODE
    except CliError as exc:
        print(f"genai-bot: {exc}", file=sys.stderr)
        return exc.exit_code
    except GenAIError as exc:  # already a user-safe sentence
        print(f"genai-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("genai-bot: interrupted", file=sys.stderr)
        return 130
    except ImportError:
        if not stop_requested():
            raise
        # Ctrl-C while a native module (ONNX Runtime, TensorFlow) initialised: it fails its
        # import instead of passing the KeyboardInterrupt on.
        print("genai-bot: interrupted", file=sys.stderr)
        return 130
