"""`genai-bot run | demo | start | sync`: the Discord bot, and an offline demo without it.

`start` is what `make run` calls: the bot when DISCORD_TOKEN is set, otherwise the demo, so a
fresh clone shows the models working before anyone creates a Discord application.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.app import CONFIG_EXIT_CODE
from bot.cli import SIGNING_VARIABLES, CliError, add_command
from bot.ops.signals import STOP_SIGNALS, restore_defaults, stop_requested
from bot.settings import ENVIRONMENT, TEXT_VARIABLES, Settings, where_settings_come_from
from genai_models.errors import GenAIError
from genai_models.vae.native_log_filter import caught_up

if TYPE_CHECKING:
    from genai_models.vae.serving.sampler import DigitSampler

log = logging.getLogger(__name__)

DEMO_SEED = 0
DEMO_TOPIC = "los dígitos escritos a mano"
MISSING_TOKEN = (
    "DISCORD_TOKEN is not set. (Looked in {where}.) Create a bot at "
    "https://discord.com/developers/applications, put its token in .env as DISCORD_TOKEN=… "
    "(see .env.example; in a container, pass it with --env-file .env or -e DISCORD_TOKEN=…), "
    "or try `genai-bot demo`."
)
POEM_NOT_CONFIGURED = "set OPENAI_API_KEY or OPENAI_BASE_URL"
NEXT_STEPS = """\
To run the real Discord bot, set these in .env (.env.example documents every key;
in a container, pass that file with --env-file .env):
  DISCORD_TOKEN=…       your bot's token (https://discord.com/developers/applications)
  DEV_GUILD_ID=…        optional: a test server's id, where commands appear at once
  OPENAI_API_KEY=…      for /poem, or a local server's address: OPENAI_BASE_URL=http://localhost:11434/v1
                        and OPENAI_MODEL=… for Ollama (docs/local-servers.md lists others)
then run `make run` again (or `genai-bot run`, or the container without a command)."""


# The bot reads every setting; the demo and `sync` read less.
BOT_VARIABLES = tuple(ENVIRONMENT)
DEMO_VARIABLES = ("GENAI_MODEL_DIR", *TEXT_VARIABLES, "GENAI_IMAGE_MARK", *SIGNING_VARIABLES)
SYNC_VARIABLES = ("DISCORD_TOKEN", "DEV_GUILD_ID", "OPENAI_API_KEY", "OPENAI_BASE_URL")


def register(subparsers) -> None:
    run = add_command(
        subparsers, "run", help="start the Discord bot (needs DISCORD_TOKEN)",
        description="Start the Discord bot: load the models, publish the slash commands "
        "(to DEV_GUILD_ID when set, else globally) and answer them until Ctrl-C or SIGTERM.",
        environment=BOT_VARIABLES,
    )  # fmt: skip
    run.set_defaults(handler=handle_run, handles_stop_signals=True)

    demo = add_command(
        subparsers, "demo",
        help="no Discord needed: write a digit grid, a morph GIF and a latent map",
        description="Without Discord: write a digit grid, a morph GIF and the latent map into "
        "--out, and print a poem when a text endpoint is configured.",
        environment=DEMO_VARIABLES,
    )  # fmt: skip
    demo.add_argument("--out", type=Path, default=Path("out"), help="folder (default: ./out)")
    demo.add_argument(
        "--poem",
        action="store_true",
        help="fail (exit 1) unless a poem is written too; without it a poem is "
        "written when a text endpoint is configured, and its failure is "
        "reported without failing the demo",
    )
    demo.set_defaults(handler=handle_demo)

    start = add_command(
        subparsers, "start",
        help="`run` when DISCORD_TOKEN is set, otherwise `demo` (what `make run` does)",
        environment=BOT_VARIABLES,
    )  # fmt: skip
    start.add_argument("--out", type=Path, default=Path("out"), help="the demo's folder (default: ./out)")
    # Without a token it is the demo, whose poem stays optional (demo's --poem unset).
    start.set_defaults(handler=handle_start, handles_stop_signals=True, poem=False)

    sync = add_command(
        subparsers, "sync", help="publish the slash commands to Discord, then exit",
        description="Publish the slash commands (to DEV_GUILD_ID when set, else globally) and "
        "exit, without loading the models or going online. /poem is published only when a "
        "text endpoint is configured.",
        environment=SYNC_VARIABLES,
    )  # fmt: skip
    sync.set_defaults(handler=handle_sync)


def handle_start(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token:
        return handle_run(args, settings)
    restore_defaults()  # the demo just stops on a signal
    print("DISCORD_TOKEN is not set, so here is the offline demo instead of the bot.\n")
    return handle_demo(args, settings)


def handle_run(args: argparse.Namespace, settings: Settings) -> int:
    token = _token(settings)
    # Installed before anything slow: as PID 1 in a container a SIGTERM with no handler is
    # ignored, and one during the imports below must still stop the process.
    with _stop_signals_raise():
        try:
            if stop_requested():  # a stop came during the imports (bot/ops/signals.py)
                raise StopRequestedError()
            from bot.app import serve

            return _started(serve(settings, token=token))
        except StopRequestedError:
            log.info("stopped before start-up got going")
            return 0


def handle_sync(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import serve

    count = _started(serve(settings, token=_token(settings), sync_only=True))
    where = f"guild {settings.dev_guild_id}" if settings.dev_guild_id else "all guilds (global)"
    print(f"synced {count} commands to {where}")
    return 0


def _started(main: Coroutine[Any, Any, int]) -> int:
    """Run the bot's `serve`; a start-up failure is one line and its exit code."""
    from bot.app import StartupError

    try:
        return asyncio.run(main)
    except StartupError as exc:
        raise CliError(str(exc), exit_code=exc.exit_code) from None


def _token(settings: Settings) -> str:
    if not settings.discord_token:
        raise CliError(MISSING_TOKEN.format(where=where_settings_come_from()), exit_code=CONFIG_EXIT_CODE)
    return settings.discord_token


class StopRequestedError(Exception):
    """SIGTERM or SIGINT arrived before the event loop took the signals over."""


@contextlib.contextmanager
def _stop_signals_raise():
    def raise_stop(signum, frame):
        raise StopRequestedError(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, raise_stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- the offline demo ----------------------------------------------------------------------


def handle_demo(args: argparse.Namespace, settings: Settings) -> int:
    from genai_models.vae.serving.sampler import DigitSampler

    if args.poem and not settings.text_configured:  # asked for what cannot be made: say so first
        raise CliError(f"--poem: {POEM_NOT_CONFIGURED}", exit_code=CONFIG_EXIT_CODE)
    print("Loading the digit model…", flush=True)
    sampler = DigitSampler.load(settings.model_dir, cache_dir=settings.data_dir / "model-cache")
    for path in write_demo_images(sampler, args.out, mark=settings.image_mark):
        print(f"wrote {path} ({max(1, path.stat().st_size // 1024)} KiB)")
    # The exit status says whether what was asked was done: the images always, a poem only
    # with --poem (otherwise it is a bonus, whose failure is said but does not fail the demo).
    status = 0
    if settings.text_configured:
        from bot.cli.poem import failure_line, failures_reported_here

        print(f"\nA poem from {settings.poet.model}, about “{DEMO_TOPIC}”:\n", flush=True)
        try:
            with failures_reported_here():
                asyncio.run(print_poem(settings, sys.stdout))
        except GenAIError as exc:
            print(f"\ngenai-bot: no poem: {failure_line(exc)}", file=sys.stderr)
            caught_up()  # said under the poem's heading, before what stdout prints next
            status = 1 if args.poem else 0
    else:
        print(f"\nNo text endpoint configured, so no poem ({POEM_NOT_CONFIGURED}).")
    print(f"\n{NEXT_STEPS}")
    return status


def write_demo_images(sampler: DigitSampler, out_dir: Path, *, mark: bool = True) -> list[Path]:
    """A 3 × 3 digit grid, a 7 → 1 morph and the latent map (all ten digits), under `out_dir`.

    Drawn by the functions the bot's /digit, /morph and /latent-map call, so the demo shows
    exactly what the bot would post.
    """
    from genai_models.vae.serving.drawing import draw_digits, draw_latent_map, draw_morph

    outputs = {
        "digits.png": draw_digits(sampler, None, count=9, seed=DEMO_SEED, mark=mark),
        "morph.gif": draw_morph(sampler, 7, 1, seed=DEMO_SEED, mark=mark),
        "latent-map.png": draw_latent_map(sampler, mark=mark),
    }
    from genai_models.vae.files import write_atomic

    try:
        for name, data in outputs.items():
            write_atomic(out_dir / name, data)  # a full disk leaves no partial image behind
    except OSError as exc:
        raise CliError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    return [out_dir / name for name in outputs]


async def print_poem(settings: Settings, out: TextIO) -> None:
    from bot.cli.poem import write_poem
    from genai_models.text import PoemRequest

    await write_poem(settings, PoemRequest(topic=DEMO_TOPIC, language="es", form="free"), out)
