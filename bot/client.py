"""GenAIBot: holds the services, loads one extension per feature, syncs the command tree.

Services are built by the caller and handed in (bot/app.py, the composition root; tests choose
their own); the bot only owns their use. Heavy start-up work (loading TensorFlow and the VAE)
runs in a thread from `setup_hook`, before the gateway connects, so the event loop never blocks.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.fair_use.gate import FairUseGate
from bot.guild_rules import OperatorBounds, ServerRules
from bot.interactions.admission import GenAICommandTree
from bot.interactions.i18n import CommandTranslator
from bot.interactions.inflight import InFlight
from bot.interactions.views import answer_stale
from bot.ops.gateway_state import GatewayState
from bot.ops.metrics import BotMetrics
from bot.settings import Settings
from bot.training.serving import ServingModel
from bot.worker_pool import WorkerPool, run_in_daemon_thread

if TYPE_CHECKING:
    from bot.ops.audit import AuditLog
    from bot.storage import Database
    from bot.training.follower import ServingFollower
    from bot.training.supervisor import Supervisor
    from genai_models.text import Poet
    from genai_models.vae.serving.sampler import DigitSampler

log = logging.getLogger(__name__)

# How long close() lets interactions still running finish before it cancels them.
CLOSE_GRACE_S = 5.0

T = TypeVar("T")

# One extension per feature; each module's `setup(bot)` adds its cog.
EXTENSIONS = (
    "bot.features.poems.cog",
    "bot.features.digits.cog",
    "bot.features.training.cog",
    "bot.features.about.cog",
    "bot.features.settings.cog",
)


class GenAIBot(commands.Bot):
    """The Discord bot. Slash commands only, so it needs no privileged intents.

    `load_sampler` is called once in a worker thread during `setup_hook`, before the features
    load, and what it returns serves through `serving` (the one holder of the serving model,
    which training swaps); None leaves the digit commands answering "model not loaded" (used by
    `genai-bot sync`, which needs no model).
    `poet` None means no text endpoint is configured: /poem is not registered.
    `database` (bot.storage, opened, migrated and closed by the caller) is None only for
    `genai-bot sync`; `supervisor` (and `follower`, on PostgreSQL) run /train; without one the
    training commands say training is unavailable. `fair_use`, `audit` and `server_rules`
    default to an in-memory gate, no audit log and the operator's values for every server.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        pool: WorkerPool,
        poet: Poet | None = None,
        database: Database | None = None,
        load_sampler: Callable[[], DigitSampler] | None = None,
        serving: ServingModel | None = None,
        fair_use: FairUseGate | None = None,
        supervisor: Supervisor | None = None,
        follower: ServingFollower | None = None,
        audit: AuditLog | None = None,
        server_rules: ServerRules | None = None,
        sync_commands: bool = True,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # interactions need their guild and channel in the cache
        metrics = BotMetrics()
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            tree_cls=GenAICommandTree,
            # Poems, topics and file names are written by models and users: a line starting with
            # @everyone must never notify a whole server. No message of ours means to ping.
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=metrics.discord_http_trace(),  # Discord's answers per route, 429s included
            # Every command may be installed by a server or by a user (who then uses it in DMs
            # and in servers without the bot), unless it says otherwise (training: servers only).
            allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=True, private_channel=True
            ),
            **options,
        )
        self.settings = settings
        self.pool = pool
        self.poet = poet
        self.database = database
        self.serving = serving or ServingModel()
        self.supervisor = supervisor
        self.follower = follower
        self._load_sampler = load_sampler
        self._sync_commands = sync_commands
        self.commands_synced = False
        self.set_up = False  # setup_hook done: from now on interactions may arrive
        # The custom_id templates of the features' buttons and selects (add_persistent_items).
        self.persistent_templates: list[re.Pattern[str]] = []
        # Custom ids of the buttons of features turned off here, each with why (answer_stale).
        self.components_off: list[tuple[re.Pattern[str], type[Exception]]] = []
        self.in_flight = InFlight()
        self.metrics = metrics
        self.gateway = GatewayState(self)
        self.fair_use = fair_use or FairUseGate(
            settings.fair_use,
            workers=pool.workers,
            text_concurrency=poet.config.concurrency if poet is not None else 1,
        )
        self.server_rules = server_rules or ServerRules(operator_bounds(settings))
        self.metrics.watch(
            workers_busy=lambda: pool.busy,
            in_flight=lambda: len(self.in_flight),
            shards=self.gateway.states,
            queue_depths={
                resource: functools.partial(self.fair_use.queue_depth, resource)
                for resource in self.fair_use.schedulers
            },
        )
        # Called with each finished interaction's record (see bot.interactions.admission); the
        # audit log hooks in here.
        self.generation_recorders: list[Callable[[discord.Interaction, dict[str, Any], float], None]] = []
        self.audit = audit
        if audit is not None:
            self.generation_recorders.append(audit.record)
        # What each feature keeps about a user, deleted by /preferences forget (their user id).
        self.forgetters: list[Callable[[int], Awaitable[None]]] = []

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
            self.serving.serve(await run_in_daemon_thread(self._load_sampler, name="genai-model-loader"))
            log.info("digit model %s loaded", self.serving.sampler.version)
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
        await self.server_rules.start()
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

    @property
    def sampler(self) -> DigitSampler | None:
        """The digit model serving now (None: not loaded). Each request reads it once, when its
        work starts, and finishes on that model whatever is swapped in meanwhile."""
        return self.serving.sampler

    async def close(self) -> None:
        # Interactions still running (a close without shut_down's grace period: a failed start,
        # a test) end before the services they write to close: a database query abandoned
        # half-way leaves the driver's thread answering an event loop that may be gone.
        await self.in_flight.drain(CLOSE_GRACE_S)
        await super().close()  # cogs unload first: their last writes still reach the database
        if self.audit is not None:
            await self.audit.close()
        await self.server_rules.close()
        await self.fair_use.store.close()

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (id %s) to %d guilds", self.user, self.user and self.user.id, len(self.guilds)
        )

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
            "database": self.database is None or self.database.problem() is None,
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

        await shut_down(
            self,
            grace_s=self.settings.shutdown_grace_s if grace_s is None else grace_s,
            tell_interrupted=tell_interrupted,
        )


class ShardedGenAIBot(GenAIBot, commands.AutoShardedBot):
    """The same bot over several gateway shards, for when it outgrows ~2,500 guilds."""


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
            log.info(
                "shards %s of %d: the process holding shard 0 publishes the commands",
                ",".join(map(str, settings.shard_ids or ())),
                settings.shard_count,
            )
    shard_ids = list(settings.shard_ids) if settings.shard_ids is not None else None
    return ShardedGenAIBot(
        settings=settings, shard_count=settings.shard_count, shard_ids=shard_ids, **options
    )


def operator_bounds(settings: Settings) -> OperatorBounds:
    """The operator's defaults and caps that no server's settings may exceed."""
    return OperatorBounds(
        cooldowns_s=settings.fair_use.cooldowns_s,
        jobs_per_user=settings.fair_use.jobs_per_user,
        image_mark=settings.image_mark,
    )
