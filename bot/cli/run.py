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
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli import CliError, add_command
from bot.ops.signals import STOP_SIGNALS, restore_defaults, stop_requested
from bot.settings import TEXT_VARIABLES, Settings
from genai_models.errors import GenAIError

if TYPE_CHECKING:
    from genai_models.text import Poet
    from genai_models.vae.serving.sampler import DigitSampler

log = logging.getLogger(__name__)

CONFIG_EXIT_CODE = 2  # DISCORD_TOKEN missing or rejected, DEV_GUILD_ID wrong: fix the settings
DEMO_SEED = 0
DEMO_TOPIC = "los dígitos escritos a mano"
MISSING_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications, "
    "put its token in .env as DISCORD_TOKEN=… (see .env.example), or try `genai-bot demo`."
)
REJECTED_TOKEN = (
    "Discord rejected DISCORD_TOKEN (401 Unauthorized). Copy a fresh token from the Bot page "
    "of your application at https://discord.com/developers/applications."
)
UNREACHABLE = "Check the network connection (and any proxy), then try again."
POEM_NOT_CONFIGURED = "set OPENAI_API_KEY or OPENAI_BASE_URL"
WRONG_GUILD = (
    "Discord refused to publish the commands to DEV_GUILD_ID={guild} ({status} {text}). "
    "Check the id (right-click the server > Copy Server ID) and that the bot was invited there "
    "with the applications.commands scope, or leave DEV_GUILD_ID empty to publish globally."
)
NEXT_STEPS = """\
To run the real Discord bot, set these in .env (.env.example documents every key):
  DISCORD_TOKEN=…       your bot's token (https://discord.com/developers/applications)
  DEV_GUILD_ID=…        optional: a test server's id, where commands appear at once
  OPENAI_API_KEY=…      for /poem, or OPENAI_BASE_URL=http://localhost:8080/v1 for a local server
then run `make run` again (or `genai-bot run`)."""


# What the bot reads; the demo and `sync` read less.
BOT_VARIABLES = (
    "DISCORD_TOKEN", "DEV_GUILD_ID", *TEXT_VARIABLES, "GENAI_MODEL_DIR", "GENAI_TRAINING_DIR",
    "GENAI_WORKERS", "GENAI_COMMAND_TIMEOUT", "LOG_LEVEL", "LOG_FORMAT", "GENAI_IMAGE_MARK",
    "GENAI_OPERATOR_CONTACT", "GENAI_DATA_DIR",
    "GENAI_DATABASE_URL", "GENAI_OWNER_IDS", "GENAI_TRAINING_DATA", "GENAI_SWAP_MAX_ELBO_INCREASE",
    "GENAI_SWAP_MIN_FIDELITY", "GENAI_COOLDOWNS", "GENAI_JOBS_PER_USER", "GENAI_JOBS_PER_GUILD",
    "GENAI_MODEL_CONCURRENCY", "GENAI_QUEUE_SIZE",
    "GENAI_ALLOW_GUILDS", "GENAI_DENY_GUILDS", "GENAI_ALLOW_CHANNELS", "GENAI_DENY_CHANNELS",
    "GENAI_ALLOW_ROLES", "GENAI_DENY_ROLES", "GENAI_SHUTDOWN_GRACE", "GENAI_METRICS_PORT",
    "GENAI_METRICS_HOST", "GENAI_AUDIT_RETENTION_DAYS",
    "SHARD_COUNT", "SHARD_IDS",
)  # fmt: skip
DEMO_VARIABLES = ("GENAI_MODEL_DIR", *TEXT_VARIABLES, "LOG_LEVEL", "GENAI_IMAGE_MARK")
SYNC_VARIABLES = ("DISCORD_TOKEN", "DEV_GUILD_ID", "OPENAI_API_KEY", "OPENAI_BASE_URL", "LOG_LEVEL")


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
    demo.add_argument("--poem", action="store_true",
                      help="fail (exit 1) unless a poem is written too; without it a poem is "
                           "written when a text endpoint is configured, and its failure is "
                           "reported without failing the demo")
    demo.set_defaults(handler=handle_demo)

    start = add_command(
        subparsers, "start",
        help="`run` when DISCORD_TOKEN is set, otherwise `demo` (what `make run` does)",
        environment=BOT_VARIABLES,
    )  # fmt: skip
    start.add_argument(
        "--out", type=Path, default=Path("out"), help="the demo's folder (default: ./out)"
    )
    start.set_defaults(handler=handle_start, handles_stop_signals=True)

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
            if stop_requested():  # a stop came during the imports (bot/stop.py)
                raise StopRequestedError()
            return asyncio.run(serve(settings, token=token))
        except StopRequestedError:
            log.info("stopped before start-up got going")
            return 0


def handle_sync(args: argparse.Namespace, settings: Settings) -> int:
    count = asyncio.run(serve(settings, token=_token(settings), sync_only=True))
    where = f"guild {settings.dev_guild_id}" if settings.dev_guild_id else "all guilds (global)"
    print(f"synced {count} commands to {where}")
    return 0


def _token(settings: Settings) -> str:
    if not settings.discord_token:
        raise CliError(MISSING_TOKEN, exit_code=CONFIG_EXIT_CODE)
    return settings.discord_token


async def serve(settings: Settings, *, token: str, sync_only: bool = False) -> int:
    """Run the bot until it is stopped; with `sync_only`, log in, sync, and return the count.

    SIGTERM or SIGINT while serving: no new work, work in flight gets the grace period, the
    rest is told to retry, then the bot logs out and this returns 0. During start-up (models
    loading, logging in) the start-up is cancelled instead, and this returns 0 as well.
    """
    from bot.client import make_bot
    from bot.worker_pool import WorkerPool

    stop = asyncio.Event()
    _set_on_stop_signals(stop)
    # The database first: a bad file fails in a second, before TensorFlow loads for seconds.
    database = None if sync_only else await open_database(settings)
    claim = None
    registry_model = await _registry_model(database, settings)
    poet = make_poet(settings)
    pool = WorkerPool(workers=settings.workers, timeout_s=settings.command_timeout_s)
    health = None
    try:
        claim = None if sync_only else await claim_shards(settings, database)
        bot = make_bot(
            settings,
            pool=pool,
            poet=poet,
            database=database,
            load_sampler=None if sync_only else _sampler_loader(settings, registry_model),
            # Sharded, only the process holding shard 0 syncs (see make_bot).
            **({"sync_commands": False} if sync_only else {}),
        )
        async with bot:
            if settings.metrics_port is not None and not sync_only:
                from bot.ops.health import HealthServer

                health = HealthServer(bot, host=settings.metrics_host, port=settings.metrics_port)
                await health.start()
            session = asyncio.create_task(_log_in_and_serve(bot, settings, token, sync_only))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({session, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if session.done():
                return session.result()
            if bot.set_up:  # serving (interactions arrive even before on_ready)
                await bot.shut_down()
                await asyncio.wait({session}, timeout=5.0)
            else:
                log.info("stop requested during start-up: stopping")
            session.cancel()
            await asyncio.gather(session, return_exceptions=True)
        return 0
    finally:
        if health is not None:
            await health.close()
        pool.close()
        if poet is not None:
            await poet.aclose()
        if claim is not None:
            await claim.release()
        if database is not None:  # the bot closed it already, unless it never started
            await database.close()


async def open_database(settings: Settings):
    """The bot's database, migrated; a one-line CliError when it cannot be used."""
    from bot.storage import Database, DatabaseError, settings_url

    try:
        return await Database.open(settings_url(settings))
    except DatabaseError as exc:
        raise CliError(str(exc), exit_code=CONFIG_EXIT_CODE) from None


async def _log_in_and_serve(bot, settings: Settings, token: str, sync_only: bool) -> int:
    import discord

    from bot.ops.gc_pauses import freeze_startup_objects

    try:
        await bot.login(token)  # runs setup_hook: the models load, the commands sync
        if sync_only:
            return len(await bot.sync_command_tree())
        freeze_startup_objects()  # see bot/heap.py: no full-GC pauses while serving
        await bot.connect()
    except discord.LoginFailure:
        raise CliError(REJECTED_TOKEN, exit_code=CONFIG_EXIT_CODE) from None
    except (discord.Forbidden, discord.NotFound) as exc:
        raise CliError(_refused_message(settings, exc), exit_code=CONFIG_EXIT_CODE) from None
    except discord.HTTPException as exc:
        raise CliError(f"Discord answered {exc.status} at start-up: {exc.text or exc}") from None
    except OSError as exc:  # aiohttp's connection errors are OSErrors: no network, DNS
        raise CliError(f"cannot reach Discord: {exc.strerror or exc}. {UNREACHABLE}") from None
    return 0


SHARDS_NEED_A_SERVER = (
    "SHARD_IDS={ids} runs {held} of SHARD_COUNT={count} shards, so other processes run the "
    "rest, and they must share one database server: set GENAI_DATABASE_URL to a PostgreSQL "
    "database (postgresql://user:password@host/dbname) in every process; SQLite is for one "
    "process"
)


async def claim_shards(settings: Settings, database):
    """Claim this process's shards in the shared database (see bot.storage.cluster); a
    one-line CliError when another process runs one of them, or when the shards are split
    over processes that cannot share the database."""
    if not settings.sharded:
        return None
    from bot.storage import DatabaseError
    from bot.storage.cluster import ShardClaim, needs_shared_database
    from bot.storage.postgres import is_postgres

    if not is_postgres(database.engine.url):
        if needs_shared_database(settings.shard_count, settings.shard_ids):
            raise CliError(SHARDS_NEED_A_SERVER.format(
                ids=",".join(map(str, settings.shard_ids)), held=len(settings.shard_ids),
                count=settings.shard_count), exit_code=CONFIG_EXIT_CODE)
        return None
    try:
        return await ShardClaim.take(database, settings.shard_count,
                                     settings.shard_ids or range(settings.shard_count))
    except DatabaseError as exc:
        raise CliError(str(exc), exit_code=CONFIG_EXIT_CODE) from None


def _refused_message(settings: Settings, exc) -> str:
    """A 403/404 at start-up: almost always a DEV_GUILD_ID the bot is not in."""
    if settings.dev_guild_id is not None:
        return WRONG_GUILD.format(guild=settings.dev_guild_id, status=exc.status, text=exc.text or "")
    return f"Discord refused a start-up request ({exc.status} {exc.text or exc})."


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


def _set_on_stop_signals(stop: asyncio.Event) -> None:
    """`docker stop` sends SIGTERM, Ctrl-C SIGINT: both ask for the same clean stop."""
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or not a Unix loop
            pass


def make_poet(settings: Settings) -> Poet | None:
    """The poet when a text endpoint is configured; None (no /poem) otherwise."""
    if not settings.text_configured:
        return None
    from genai_models.text import Poet

    try:
        return Poet(config=settings.poet)
    except GenAIError as exc:
        log.warning("poems disabled: %s", exc)
        return None


async def _registry_model(database, settings: Settings) -> Path | None:
    """The model the registry serves (one trained from chat), if any."""
    if database is None:
        return None
    from bot.training.registry import ModelRegistry

    return await ModelRegistry(database, settings.data_dir / "models").serving_path()


def _sampler_loader(settings: Settings, registry_model: Path | None = None):
    """Load the registry's serving model when there is one, else the configured one; a damaged
    registry model is logged and passed over, so the bot still starts."""

    def load() -> DigitSampler:
        from genai_models.vae.serving.sampler import DigitSampler

        if registry_model is not None:
            try:
                return DigitSampler.load(registry_model)
            except GenAIError as exc:
                log.warning("the registry's serving model cannot be loaded (%s); serving the "
                            "configured one", exc)
        return DigitSampler.load(settings.model_dir)

    return load


# --- the offline demo ----------------------------------------------------------------------


def handle_demo(args: argparse.Namespace, settings: Settings) -> int:
    from genai_models.vae.serving.sampler import DigitSampler

    print("Loading the digit model (TensorFlow takes a few seconds)…", flush=True)
    sampler = DigitSampler.load(settings.model_dir)
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
            status = 1 if args.poem else 0
    elif args.poem:
        raise CliError(f"--poem: {POEM_NOT_CONFIGURED}", exit_code=CONFIG_EXIT_CODE)
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
    from genai_models.text import PoemRequest, Poet

    async with Poet(config=settings.poet) as poet, poet.write(
        PoemRequest(topic=DEMO_TOPIC, language="es", form="free")
    ) as stream:
        async for piece in stream:
            out.write(piece)
            out.flush()
        poem = await stream.final()
    out.write(f"\n\n— AI-generated by {poem.model}\n")
