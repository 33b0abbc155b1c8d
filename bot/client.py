"""GenAIBot: holds the services, loads one cog per feature, syncs the command tree.

Services are built by the caller and handed in (so tests and the CLI choose them); the bot only
owns their use. Heavy start-up work (loading TensorFlow and the VAE) runs in the worker pool
from `setup_hook`, before the gateway connects, so the event loop never blocks.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.fair_use.gate import FairUseGate
from bot.interactions.admission import GenAICommandTree
from bot.interactions.i18n import CommandTranslator
from bot.interactions.inflight import InFlight
from bot.interactions.views import answer_stale
from bot.ops.gateway_state import GatewayState
from bot.ops.metrics import BotMetrics
from bot.settings import Settings
from bot.worker_pool import WorkerPool, run_in_daemon_thread

if TYPE_CHECKING:
    from bot.ops.audit import AuditLog
    from bot.storage import Database
    from genai_models.text import Poet
    from genai_models.vae.serving.sampler import DigitSampler

log = logging.getLogger(__name__)

T = TypeVar("T")

# One extension per feature; each module's `setup(bot)` adds its cog.
EXTENSIONS = (
    "bot.features.poems.cog",
    "bot.features.digits.cog",
    "bot.features.training.cog",
    "bot.features.about.cog",
)


class GenAIBot(commands.Bot):
    """The Discord bot. Slash commands only, so it needs no privileged intents.

    `load_sampler` is called once in a worker thread during `setup_hook`, before the cogs are
    built, so each cog's `setup` hands the loaded sampler to its cog, as /poem's gets its poet;
    None leaves the digit commands answering "model not loaded" (used by `genai-bot sync`,
    which needs no model).
    `poet` None means no text endpoint is configured: /poem is not registered.
    `database` (bot.storage, opened and migrated by the caller) is the bot's from then on: it is
    closed when the bot closes. None (only `genai-bot sync`) leaves the training cog unloaded.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        pool: WorkerPool,
        poet: Poet | None = None,
        database: Database | None = None,
        load_sampler: Callable[[], DigitSampler] | None = None,
        sync_commands: bool = True,
        training_options: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # interactions need their guild and channel in the cache
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            tree_cls=GenAICommandTree,
            # Poems, topics and file names are written by models and users: a line starting with
            # @everyone must never notify a whole server. No message of ours means to ping.
            allowed_mentions=discord.AllowedMentions.none(),
            # Every command may be installed by a server or by a user (who then uses it in DMs
            # and in servers without the bot), unless it says otherwise (training: servers only).
            allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=True, private_channel=True),
            **options,
        )
        self.settings = settings
        self.pool = pool
        self.poet = poet
        self.database = database
        self.sampler: DigitSampler | None = None
        self.training_options = training_options or {}  # for bot.training.supervisor.Supervisor
        self._load_sampler = load_sampler
        self._sync_commands = sync_commands
        self.commands_synced = False
        self.set_up = False  # setup_hook done: from now on interactions may arrive
        # The custom_id templates of the features' buttons and selects (add_persistent_items).
        self.persistent_templates: list[re.Pattern[str]] = []
        self.in_flight = InFlight()
        self.metrics = BotMetrics()
        self.gateway = GatewayState(self)
        self.fair_use = FairUseGate(
            settings.fair_use,
            workers=pool.workers,
            store=usage_store(database),
            on_refusal=lambda command, reason: self.metrics.refusals.labels(
                command=command, reason=reason
            ).inc(),
        )
        self.metrics.watch(
            workers_busy=lambda: pool.busy,
            in_flight=lambda: len(self.in_flight),
            shards=self.gateway.states,
            queue_depths={
                resource: functools.partial(self.fair_use.queue_depth, resource)
                for resource in self.fair_use.schedulers
            },
        )
        # Called with each finished interaction's record (see bot.admission); the audit log
        # hooks in here.
        self.generation_recorders: list[Callable[[discord.Interaction, dict[str, Any], float], None]] = []
        self.audit: AuditLog | None = None
        if database is not None and settings.audit_retention_days > 0:
            from bot.ops.audit import AuditLog

            self.audit = AuditLog(
                database, retention_days=settings.audit_retention_days, model_version=self.model_version
            )
            self.generation_recorders.append(self.audit.record)

    @property
    def syncs_commands(self) -> bool:
        """Whether `setup_hook` publishes the command tree (in a cluster, one process does)."""
        return self._sync_commands

    async def run_blocking(
        self, func: Callable[..., T], /, *args: Any, timeout_s: float | None = None, **kwargs: Any
    ) -> T:
        """Run blocking work (models, images, disk) in the bot's one worker pool."""
        return await self.pool.run(func, *args, timeout_s=timeout_s, **kwargs)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CommandTranslator())
        self.add_listener(answer_stale, "on_interaction")  # no press is ever left unanswered
        if self._load_sampler is not None:
            # TensorFlow's import and the model's warm-up take seconds: never on the loop.
            self.sampler = await run_in_daemon_thread(self._load_sampler, name="genai-model-loader")
            log.info("digit model %s loaded", self.sampler.version)
        for extension in EXTENSIONS:
            try:
                await self.load_extension(extension)
            except commands.ExtensionError:
                # One broken feature must not take the others down with it.
                log.exception("could not load %s; its commands are unavailable", extension)
        if self._sync_commands:
            await self.sync_command_tree()
            self.commands_synced = True
        if self.audit is not None:
            self.audit.start()
        self.set_up = True

    async def sync_command_tree(self) -> list[app_commands.AppCommand]:
        """Publish the commands: to DEV_GUILD_ID at once while developing, else globally."""
        guild_id = self.settings.dev_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (they may take a while to appear)", len(synced))
        return synced

    def swap_sampler(self, sampler: DigitSampler) -> None:
        """Serve `sampler` from the next request on. Requests in flight hold the old one and
        finish on it; cogs that keep a reference hear `on_sampler_swapped`."""
        old = self.sampler
        self.sampler = sampler
        log.info("digit model %s now serving (was %s)", sampler.version, old and old.version)
        self.dispatch("sampler_swapped", sampler)

    def model_version(self, resource: str) -> str | None:
        """What made a generation of `resource` ("model": the digit VAE, "text": the chat model)."""
        if resource == "text":
            return self.poet.model if self.poet is not None else None
        return str(self.sampler.version) if self.sampler is not None else None

    async def close(self) -> None:
        await super().close()  # cogs unload first: their last writes still reach the database
        if self.audit is not None:
            await self.audit.close()
        await self.fair_use.store.close()
        if self.database is not None:
            await self.database.close()

    async def on_ready(self) -> None:
        log.info("connected as %s (id %s) to %d guilds", self.user, self.user and self.user.id,
                 len(self.guilds))

    def readiness(self) -> dict[str, bool]:
        """What /readyz reports: ready when all are true. `shards_connected`: every shard this
        process holds has its gateway session up (`self.gateway.states()` says which)."""
        shards = self.gateway.states()
        return {
            "logged_in": self.is_ready() and not self.is_closed(),
            "shards_connected": bool(shards) and all(s.connected for s in shards.values()),
            "commands_synced": self.commands_synced or not self._sync_commands,
            "models_loaded": self._load_sampler is None or self.sampler is not None,
            "accepting_work": not self.in_flight.draining,
        }

    def record_generation(
        self, interaction: discord.Interaction, fields: dict[str, Any], *, finished_at: float
    ) -> None:
        for record in self.generation_recorders:
            try:
                record(interaction, fields, finished_at)
            except Exception:  # a broken recorder must not break the command's bookkeeping
                log.exception("could not record %s", fields.get("command"))

    async def shut_down(self, *, grace_s: float | None = None) -> None:
        """Stop taking work, let work in flight finish (up to the grace period), log out."""
        from bot.interactions.inflight import tell_interrupted
        from bot.ops.shutdown import shut_down

        await shut_down(self, grace_s=self.settings.shutdown_grace_s if grace_s is None else grace_s,
                        tell_interrupted=tell_interrupted)


class ShardedGenAIBot(GenAIBot, commands.AutoShardedBot):
    """The same bot over several gateway shards, for when it outgrows ~2,500 guilds."""


def usage_store(database: Database | None):
    """Where fair use keeps per-user state: the shared database when it is PostgreSQL (which
    shard processes share), else this process's memory (see bot.fair_use.shared_store)."""
    from bot.storage.postgres import is_postgres

    if database is not None and is_postgres(database.engine.url):
        from bot.fair_use.shared_store import SharedUsageStore

        return SharedUsageStore(database)
    return None  # the gate's in-memory store


def make_bot(settings: Settings, **options: Any) -> GenAIBot:
    """The bot these settings ask for: sharded (SHARD_COUNT, SHARD_IDS) or not.

    Unsharded, one process takes every guild, as Discord advises below its sharding threshold.
    Sharded, this process opens only its own shards; of the processes of one cluster, only the
    one holding shard 0 publishes the commands (`Settings.syncs_commands`), unless the caller
    says otherwise with `sync_commands`.
    """
    if not settings.sharded:
        return GenAIBot(settings=settings, **options)
    if "sync_commands" not in options:
        options["sync_commands"] = settings.syncs_commands
        if not settings.syncs_commands:
            log.info("shards %s of %d: the process holding shard 0 publishes the commands",
                     ",".join(map(str, settings.shard_ids or ())), settings.shard_count)
    shard_ids = list(settings.shard_ids) if settings.shard_ids is not None else None
    return ShardedGenAIBot(settings=settings, shard_count=settings.shard_count,
                           shard_ids=shard_ids, **options)
