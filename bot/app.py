"""The composition root: settings → services → the bot, and the bot run until it is stopped.

Every service the bot uses is built here, once, in start-up order, and closed in reverse by one
`AsyncExitStack`: the database (opened and migrated first: a bad file fails in a second, before
TensorFlow loads for seconds), this process's shard claim, the poet, the worker pool; then the
fair-use gate, the serving model, the training supervisor and the audit log, which are handed to
the bot (`build_bot`). `genai-bot run` and `sync` call `serve`; tests call `build_bot` with
services of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.settings import Settings
from genai_models.errors import GenAIError

if TYPE_CHECKING:
    from bot.client import GenAIBot
    from bot.guild_rules import ServerRules
    from bot.storage import Database
    from bot.training.supervisor import TrainingOptions
    from bot.worker_pool import WorkerPool
    from genai_models.text import Poet
    from genai_models.vae.serving.sampler import DigitSampler

log = logging.getLogger(__name__)

CONFIG_EXIT_CODE = 2  # DISCORD_TOKEN rejected, DEV_GUILD_ID wrong, the database unusable
REJECTED_TOKEN = (
    "Discord rejected DISCORD_TOKEN (401 Unauthorized). Copy a fresh token from the Bot page "
    "of your application at https://discord.com/developers/applications."
)
UNREACHABLE = "Check the network connection (and any proxy), then try again."
WRONG_GUILD = (
    "Discord refused to publish the commands to DEV_GUILD_ID={guild} ({status} {text}). "
    "Check the id (right-click the server > Copy Server ID) and that the bot was invited there "
    "with the applications.commands scope, or leave DEV_GUILD_ID empty to publish globally."
)
SHARDS_NEED_A_SERVER = (
    "SHARD_IDS={ids} runs {held} of SHARD_COUNT={count} shards, so other processes run the "
    "rest, and they must share one database server: set GENAI_DATABASE_URL to a PostgreSQL "
    "database (postgresql://user:password@host/dbname) in every process; SQLite is for one "
    "process"
)


class StartupError(Exception):
    """The bot cannot start: a one-line message for the operator, and the exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def build_bot(
    settings: Settings,
    *,
    pool: WorkerPool,
    poet: Poet | None = None,
    database: Database | None = None,
    load_sampler: Callable[[], DigitSampler] | None = None,
    training: TrainingOptions | None = None,
    **options: Any,
) -> GenAIBot:
    """The bot over these services, with the ones built from them: the fair-use gate (its poem
    queue as wide as the text endpoint serves at once), the serving model, and, with a
    database, the training supervisor (and, on PostgreSQL, the follower of other processes'
    swaps) and the audit log. The caller owns `pool`, `poet` and `database` and closes them."""
    from bot.client import make_bot
    from bot.fair_use.gate import FairUseGate
    from bot.training.serving import ServingModel

    serving = ServingModel()
    gate = FairUseGate(
        settings.fair_use,
        workers=pool.workers,
        text_concurrency=poet.config.concurrency if poet is not None else 1,
        store=_usage_store(database),
    )
    supervisor = follower = audit = None
    if database is not None:
        from bot.training.supervisor import Supervisor, TrainingOptions

        training = training or TrainingOptions()
        supervisor = Supervisor(database, settings=settings, pool=pool, serving=serving, options=training)
        if database.is_postgres:  # other processes share the registry: serve what they swap in
            from bot.training.follower import ServingFollower

            follower = ServingFollower(supervisor, every_s=training.follow_every_s)
        if settings.audit_retention_days > 0:
            from bot.ops.audit import AuditLog

            audit = AuditLog(
                database,
                retention_days=settings.audit_retention_days,
                model_version=_model_versions(poet, serving),
            )
    return make_bot(
        settings,
        pool=pool,
        poet=poet,
        database=database,
        serving=serving,
        fair_use=gate,
        supervisor=supervisor,
        follower=follower,
        audit=audit,
        server_rules=server_rules(settings, database),
        load_sampler=load_sampler,
        **options,
    )


def server_rules(settings: Settings, database: Database | None) -> ServerRules:
    """Each server's settings within the operator's bounds (bot.guild_rules); without a
    database (`genai-bot sync`), the operator's values alone. Shard processes share PostgreSQL
    and poll it for each other's changes; one process on SQLite sees its own."""
    from bot.client import operator_bounds
    from bot.guild_rules import ServerRules, SettingsStore

    bounds = operator_bounds(settings)
    if database is None:
        return ServerRules(bounds)
    store = SettingsStore(database, retention_days=settings.audit_retention_days)
    shared = database.is_postgres
    return ServerRules(bounds, store, poll=shared, preload=not shared)


def _usage_store(database: Database | None):
    """Where fair use keeps per-user state: the shared database when shard processes share it
    (PostgreSQL), else this process's memory (None: the gate's own)."""
    if database is not None and database.is_postgres:
        from bot.fair_use.shared_store import SharedUsageStore

        return SharedUsageStore(database)
    return None


def _model_versions(poet: Poet | None, serving) -> Callable[[str], str | None]:
    """What made a generation of a resource ("model": the digit VAE, "text": the chat model)."""

    def version(resource: str) -> str | None:
        if resource == "text":
            return poet.model if poet is not None else None
        return str(serving.sampler.version) if serving.sampler is not None else None

    return version


async def serve(settings: Settings, *, token: str, sync_only: bool = False) -> int:
    """Run the bot until it is stopped; with `sync_only`, log in, sync, and return the count.

    SIGTERM or SIGINT while serving: no new work, work in flight gets the grace period, the
    rest is told to retry, then the bot logs out and this returns 0. During start-up (models
    loading, logging in) the start-up is cancelled instead, and this returns 0 as well.
    """
    from bot.worker_pool import WorkerPool

    stop = asyncio.Event()
    _set_on_stop_signals(stop)
    async with contextlib.AsyncExitStack() as services:
        database = None
        registry_model = None
        if not sync_only:
            database = await open_database(settings)
            services.push_async_callback(database.close)
            registry_model = await _registry_model(database, settings)
            if registry_model is None:
                require_model_folder(settings)  # before logging in, as a wrong token is
            claim = await claim_shards(settings, database)
            if claim is not None:
                services.push_async_callback(claim.release)
        poet = make_poet(settings)
        if poet is not None:
            await services.enter_async_context(poet)
        pool = services.enter_context(
            WorkerPool(workers=settings.workers, timeout_s=settings.command_timeout_s)
        )
        bot = build_bot(
            settings,
            pool=pool,
            poet=poet,
            database=database,
            load_sampler=None if sync_only else sampler_loader(settings, registry_model),
            # Sharded, only the process holding shard 0 syncs (see make_bot).
            **({"sync_commands": False} if sync_only else {}),
        )
        async with bot:
            if settings.metrics_port is not None and not sync_only:
                from bot.ops.health import HealthServer

                health = HealthServer(bot, host=settings.metrics_host, port=settings.metrics_port)
                try:
                    await health.start()
                except OSError as exc:  # the port is taken, or the host is not this machine's
                    where = f"{settings.metrics_host}:{settings.metrics_port}"
                    raise StartupError(
                        f"cannot serve /healthz and /metrics on {where}: {exc.strerror or exc}. "
                        "Set GENAI_METRICS_PORT to a free port (or unset it) and "
                        "GENAI_METRICS_HOST to an address of this machine",
                        exit_code=CONFIG_EXIT_CODE,
                    ) from None
                services.push_async_callback(health.close)
            return await _run_until_stopped(bot, settings, token, sync_only, stop)


async def _run_until_stopped(
    bot, settings: Settings, token: str, sync_only: bool, stop: asyncio.Event
) -> int:
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


async def open_database(settings: Settings) -> Database:
    """The bot's database, migrated; a one-line StartupError when it cannot be used."""
    from bot.storage import Database, DatabaseError, settings_url

    try:
        return await Database.open(settings_url(settings))
    except DatabaseError as exc:
        raise StartupError(str(exc), exit_code=CONFIG_EXIT_CODE) from None


async def _log_in_and_serve(bot, settings: Settings, token: str, sync_only: bool) -> int:
    import discord

    from bot.ops.gc_pauses import freeze_startup_objects

    try:
        await bot.login(token)  # runs setup_hook: the models load, the commands sync
        if sync_only:
            return len(await bot.sync_command_tree())
        freeze_startup_objects()  # see bot/ops/gc_pauses.py: no full-GC pauses while serving
        await bot.connect()
    except discord.LoginFailure:
        raise StartupError(REJECTED_TOKEN, exit_code=CONFIG_EXIT_CODE) from None
    except (discord.Forbidden, discord.NotFound) as exc:
        raise StartupError(_refused_message(settings, exc), exit_code=CONFIG_EXIT_CODE) from None
    except discord.HTTPException as exc:
        raise StartupError(f"Discord answered {exc.status} at start-up: {exc.text or exc}") from None
    except OSError as exc:  # aiohttp's connection errors are OSErrors: no network, DNS
        raise StartupError(f"cannot reach Discord: {exc.strerror or exc}. {UNREACHABLE}") from None
    return 0


async def claim_shards(settings: Settings, database: Database):
    """Claim this process's shards in the shared database (see bot.storage.cluster); a
    one-line StartupError when another process runs one of them, or when the shards are split
    over processes that cannot share the database."""
    if not settings.sharded:
        return None
    from bot.storage import DatabaseError
    from bot.storage.cluster import ShardClaim, needs_shared_database

    if not database.is_postgres:
        if needs_shared_database(settings.shard_count, settings.shard_ids):
            raise StartupError(
                SHARDS_NEED_A_SERVER.format(
                    ids=",".join(map(str, settings.shard_ids)),
                    held=len(settings.shard_ids),
                    count=settings.shard_count,
                ),
                exit_code=CONFIG_EXIT_CODE,
            )
        return None
    try:
        return await ShardClaim.take(
            database, settings.shard_count, settings.shard_ids or range(settings.shard_count)
        )
    except DatabaseError as exc:
        raise StartupError(str(exc), exit_code=CONFIG_EXIT_CODE) from None


def _refused_message(settings: Settings, exc) -> str:
    """A 403/404 at start-up: almost always a DEV_GUILD_ID the bot is not in."""
    if settings.dev_guild_id is not None:
        return WRONG_GUILD.format(guild=settings.dev_guild_id, status=exc.status, text=exc.text or "")
    return f"Discord refused a start-up request ({exc.status} {exc.text or exc})."


def _set_on_stop_signals(stop: asyncio.Event) -> None:
    """`docker stop` sends SIGTERM, Ctrl-C SIGINT: both ask for the same clean stop."""
    from bot.ops.signals import STOP_SIGNALS

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


async def _registry_model(database: Database, settings: Settings) -> Path | None:
    """The model the registry serves (one trained from chat), if any."""
    from bot.training.registry import ModelRegistry

    return await ModelRegistry(database, settings.data_dir / "models").serving_path()


def require_model_folder(settings: Settings) -> None:
    """A GENAI_MODEL_DIR that holds no model card is a configuration error, said (as the card
    reader says it) before the bot logs in: the model itself loads while the bot connects."""
    from genai_models.vae.serving.card import read_card

    if settings.model_dir is not None:
        try:
            read_card(settings.model_dir)
        except GenAIError as exc:
            raise StartupError(str(exc), exit_code=CONFIG_EXIT_CODE) from None


def sampler_loader(settings: Settings, registry_model: Path | None = None):
    """Load the registry's serving model when there is one, else the configured one; a damaged
    registry model is logged and passed over, so the bot still starts."""

    def load() -> DigitSampler:
        from genai_models.vae.serving.sampler import DigitSampler

        cache_dir = settings.data_dir / "model-cache"  # older exports' serving files
        if registry_model is not None:
            try:
                # It passed the swap rule, which judges fidelity: no second verdict here.
                return DigitSampler.load(registry_model, cache_dir=cache_dir, refuse_undertrained=False)
            except GenAIError as exc:
                log.warning(
                    "the registry's serving model cannot be loaded (%s); serving the configured one", exc
                )
        return DigitSampler.load(settings.model_dir, cache_dir=cache_dir)

    return load
