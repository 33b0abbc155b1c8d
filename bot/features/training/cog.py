"""/train start|cancel, /train-status and /model info|rollback: training from chat.

Starting, cancelling and rolling back are for admins: members with Discord's Manage Server
permission, and the user ids in GENAI_OWNER_IDS. /train-status and /model info are for everyone.
The work itself is the supervisor's (bot/training/supervisor.py); this cog only checks who may
ask, and answers. Without a database (`genai-bot sync`), /train-status reads the folder
`genai-bot train` writes (GENAI_TRAINING_DIR), as it always did.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.features.training.embeds import (
    fairness_field,
    job_outcome,
    job_status_reply,
    model_reply,
    starter,
    training_reply,
)
from bot.guild_rules.model import SERVER
from bot.interactions.i18n import Lang, command_text, interaction_language, language_of, text
from bot.interactions.installs import IN_SERVERS, SERVER_INSTALL
from bot.interactions.responses import Reply, reply_with, uninterrupted
from bot.interactions.server_context import manages_server, role_ids, rules_of
from bot.ops.logs import user_hash
from genai_models import imaging
from genai_models.numerals import decimal, percent
from genai_models.vae.serving.limits import MAX_SEED
from genai_models.vae.training.status import TrainingStatus, read_status

if TYPE_CHECKING:
    from bot.client import GenAIBot
    from bot.storage.schema import TrainingJob
    from bot.training.follower import ServingFollower
    from bot.training.spec import Evaluation
    from bot.training.supervisor import Supervisor

log = logging.getLogger(__name__)

MAX_EPOCHS = 500


# The loss curve's lines, by the names Keras logs them under; another name is shown as it is.
SERIES_NAMES = {
    "loss": "chart_loss",
    "val_loss": "chart_val_loss",
    "reconstruction_loss": "chart_reconstruction",
    "val_reconstruction_loss": "chart_val_reconstruction",
    "kl_loss": "chart_kl",
    "val_kl_loss": "chart_val_kl",
}


def read_status_and_curve(training_dir: Path, lang: Lang) -> tuple[TrainingStatus | None, bytes | None]:
    """The status (None: training never ran) and its loss curve in `lang`, when there is history."""
    status = read_status(training_dir)
    if status is None or not any(status.history.values()):
        return status, None
    history = {
        (text(SERIES_NAMES[name], lang) if name in SERIES_NAMES else name): values
        for name, values in status.history.items()
    }
    curve = imaging.loss_curve_png(
        history, x_label=text("chart_epoch", lang), empty_text=text("chart_no_data", lang)
    )
    return status, curve


# Why someone may not train here, when the server's settings chose who may.
TRAINER_REFUSALS = {"role": "train_trainers_role", "nobody": "train_trainers_nobody"}


def training_data_problem(path: Path) -> str | None:
    """Why the training data file cannot be trained on (for the log), or None when it can."""
    from genai_models.errors import DataError
    from genai_models.vae.training.data import load_digits, require_enough_of_each_digit

    try:
        require_enough_of_each_digit(load_digits(path))
    except (DataError, OSError) as exc:
        return str(exc)
    return None


class Training(commands.Cog):
    """The VAE's training, seen and steered from Discord.

    `training_dir` is where `genai-bot train` writes its status (shown while no job has been
    started from chat); `shipped_version` is the version of the model this process loaded.
    The supervisor (and its follower of other processes' swaps) are built by the composition
    root (bot/app.py); this cog starts them with itself and stops them when it unloads.
    """

    # Admin commands steer the whole bot: only where a server installed it, never through a
    # user's own install, in DMs or in servers without it.
    train = app_commands.Group(
        name="train",
        description=command_text("train.description"),
        allowed_installs=SERVER_INSTALL,
        allowed_contexts=IN_SERVERS,
    )
    model = app_commands.Group(
        name="model",
        description=command_text("model.description"),
        allowed_installs=SERVER_INSTALL,
        allowed_contexts=IN_SERVERS,
    )

    def __init__(
        self,
        bot: GenAIBot,
        *,
        training_dir: Path,
        shipped_version: str | None,
        supervisor: Supervisor | None = None,
        follower: ServingFollower | None = None,
    ) -> None:
        self.bot = bot
        self.training_dir = training_dir
        self.shipped_version = shipped_version
        self.supervisor = supervisor
        self.follower = follower

    async def cog_load(self) -> None:
        if self.supervisor is None:
            return
        sampler = self.bot.sampler
        if sampler is not None:
            # The model loaded at start-up serves: the registry's, or else the configured one.
            await self.supervisor.registry.adopt(sampler.version, sampler.card, path=None)
        await self.supervisor.recover()
        self.supervisor.on_model_swapped.append(self.announce_swap)
        if self.follower is not None:
            self.follower.start()

    async def cog_unload(self) -> None:
        if self.follower is not None:
            await self.follower.stop()
        if self.supervisor is not None:
            await self.supervisor.shutdown()
            if self.announce_swap in self.supervisor.on_model_swapped:
                self.supervisor.on_model_swapped.remove(self.announce_swap)

    async def announce_swap(self, job: TrainingJob, evaluation: Evaluation) -> None:
        """A short note in the channel where the job whose model now serves was started."""
        if job.channel_id is None:
            return
        guild = self.bot.get_guild(job.guild_id) if job.guild_id else None
        # Read by the whole channel: the language the server chose in /settings, else its
        # Discord locale (en-US for any server that is not a Community one).
        rules = await self.bot.server_rules.rules(job.guild_id)
        chosen = rules.values["language"].source == SERVER
        lang = rules.language if chosen else language_of(guild.preferred_locale if guild else None)
        try:
            await self.bot.get_partial_messageable(job.channel_id).send(
                text(
                    "train_swapped_announce",
                    lang,
                    version=evaluation.version,
                    job=job.id,
                    elbo=decimal(evaluation.negative_elbo, lang, 1),
                    fidelity=percent(evaluation.fidelity, lang, 1),
                )
            )
        except Exception as exc:  # the swap stands; the note is a courtesy
            log.warning(
                "could not announce model %s in channel %s: %s", evaluation.version, job.channel_id, exc
            )

    def is_admin(self, interaction: discord.Interaction) -> bool:
        """May train and roll back here: the bot's owners always; otherwise whom the server's
        settings name (by default, members who may manage the server)."""
        if interaction.user.id in self.bot.settings.owner_ids:
            return True
        if not self.trains_here(interaction):
            return False
        return rules_of(interaction).may_train(
            manages_server=manages_server(interaction), role_ids=role_ids(interaction)
        )

    def trains_here(self, interaction: discord.Interaction) -> bool:
        """Whether this server's admins may train: the model serves every server, so an operator
        whose bot others can invite names the servers that decide (GENAI_TRAINING_GUILDS)."""
        guilds = self.bot.settings.training_guilds
        return not guilds or interaction.guild_id in guilds

    async def _refuse(self, interaction: discord.Interaction, key: str, **params) -> None:
        await interaction.response.send_message(
            text(key, interaction_language(interaction), **params), ephemeral=True
        )

    async def _require(self, interaction: discord.Interaction, *, admin: bool) -> bool:
        """True when the command may go on; otherwise the user has had a refusal."""
        if self.supervisor is None:
            await self._refuse(interaction, "train_unavailable")
            return False
        if not interaction.is_guild_integration():  # a client that still offers it elsewhere
            await self._refuse(interaction, "train_needs_server")
            return False
        if admin and not self.is_admin(interaction):
            log.info(
                "/%s refused to user %s: not an admin",
                interaction.command.qualified_name,
                user_hash(interaction.user.id),
            )
            who = rules_of(interaction)["trainers"]
            refusal = (
                TRAINER_REFUSALS.get(who, "train_admins_only")
                if self.trains_here(interaction)
                else "train_elsewhere"
            )
            await self._refuse(interaction, refusal)
            return False
        return True

    # -- /train start | cancel ----------------------------------------------------------------

    @train.command(name="start", description=command_text("train-start.description"))
    @app_commands.describe(epochs=command_text("train-start.epochs"), seed=command_text("train-start.seed"))
    async def train_start(
        self,
        interaction: discord.Interaction,
        epochs: app_commands.Range[int, 1, MAX_EPOCHS] | None = None,
        seed: app_commands.Range[int, 0, MAX_SEED] | None = None,
    ) -> None:
        if not await self._require(interaction, admin=True):
            return
        lang = interaction_language(interaction)
        data = self.bot.settings.training_data
        problem = None if data is None else await self.bot.run_blocking(training_data_problem, data)
        if problem is not None:  # say so now, not "started" and a failure a minute later
            log.warning("/train start refused: the training data %s cannot be used: %s", data, problem)
            await self._refuse(interaction, "train_data_unusable")
            return
        result = await self.supervisor.start(
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            epochs=epochs,
            seed=seed,
            data=self.bot.settings.training_data,
        )
        job = result.job
        if not result.started:
            await self._refuse(
                interaction,
                "train_busy",
                job=job.id,
                user=starter(job, interaction, lang),
                since=discord.utils.format_dt(job.created_at, style="R"),
                epoch=job.epoch,
                epochs=job.total_epochs,
            )
            return
        if job.state == "failed":
            await self._refuse(interaction, "train_start_failed", reason=job_outcome(job, lang))
            return
        key = "train_resumed" if result.resumed else "train_started"
        await interaction.response.send_message(
            text(key, lang, job=job.id, epochs=job.total_epochs, seed=job.parameters["seed"], epoch=job.epoch)
        )

    @train.command(name="cancel", description=command_text("train-cancel.description"))
    async def train_cancel(self, interaction: discord.Interaction) -> None:
        if not await self._require(interaction, admin=True):
            return
        running = self.supervisor.running
        # A job whose server is unknown (an older row) counts as this server's.
        mine = running is None or running.guild_id in (None, interaction.guild_id)
        mine = mine or running.started_by == interaction.user.id
        if not mine and interaction.user.id not in self.bot.settings.owner_ids:
            await self._refuse(interaction, "train_cancel_elsewhere", job=running.job_id)  # not theirs
            return
        cancelling = await self.supervisor.cancel(user_id=interaction.user.id)
        if cancelling is None:
            await self._refuse(interaction, "train_nothing_to_cancel")
            return
        job = cancelling.job
        if cancelling.by != interaction.user.id:  # another admin got there first
            await self._refuse(
                interaction, "train_already_cancelling", job=job.id, user=f"<@{cancelling.by}>"
            )
            return
        await interaction.response.send_message(
            text("train_cancelling", interaction_language(interaction), job=job.id, epoch=job.epoch)
        )

    # -- /train-status ------------------------------------------------------------------------

    @app_commands.command(name="train-status", description=command_text("train-status.description"))
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    async def train_status(self, interaction: discord.Interaction) -> None:
        await reply_with(interaction, self._status_reply(interaction, interaction_language(interaction)))

    async def _status_reply(self, interaction: discord.Interaction, lang: Lang) -> Reply:
        serving = self.bot.sampler.version if self.bot.sampler is not None else self.shipped_version
        job = await self.supervisor.jobs.latest() if self.supervisor is not None else None
        if job is None:
            status, curve = await self.bot.run_blocking(read_status_and_curve, self.training_dir, lang)
            return training_reply(status, curve, shipped_version=serving, lang=lang)
        status, curve = await self.bot.run_blocking(read_status_and_curve, Path(job.job_dir), lang)
        last_ended = await self.supervisor.jobs.last_ended()
        can_resume = (
            self.is_admin(interaction)
            and await self.supervisor.resumable() is not None
            and job.state != "running"
        )
        return job_status_reply(
            job,
            status,
            curve,
            last_ended=last_ended if last_ended is not None and last_ended.id != job.id else None,
            can_resume=can_resume,
            viewer=interaction,
            serving_version=serving,
            lang=lang,
        )

    # -- /model info | rollback ---------------------------------------------------------------

    @model.command(name="info", description=command_text("model-info.description"))
    async def model_info(self, interaction: discord.Interaction) -> None:
        if not await self._require(interaction, admin=False):
            return
        registry = self.supervisor.registry
        serving, previous = await registry.serving(), await registry.previous()
        loaded = self.bot.sampler.version if self.bot.sampler is not None else "?"
        if serving is not None and serving.version != loaded:
            serving = await registry.find(loaded)
        lang = interaction_language(interaction)
        reply = model_reply(serving, previous, loaded_version=loaded, lang=lang)
        table = await self.bot.run_blocking(self._fairness_table, serving, lang)
        reply.embeds[0].add_field(name=text("model_fairness", lang), value=table, inline=False)
        await interaction.response.send_message(**reply.message_kwargs())

    def _fairness_table(self, serving, lang: Lang) -> str:
        """The serving model's per-digit report (beside its card) as a code block, or a line
        saying it has none. Blocking (it reads files): run it in the pool."""
        from genai_models.vae.serving.card import PRETRAINED_DIR
        from genai_models.vae.training.fairness import read_report, report_table

        sampler = self.bot.sampler
        # A registry row without a path is the configured model (shipped, or GENAI_MODEL_DIR).
        folder = (
            Path(serving.path)
            if serving is not None and serving.path
            else (self.bot.settings.model_dir or PRETRAINED_DIR)
        )
        report = read_report(folder, sampler.card if sampler is not None else None)
        if report is None:
            return text("model_fairness_missing", lang)
        return fairness_field(report_table(report, lang))

    @model.command(name="rollback", description=command_text("model-rollback.description"))
    async def model_rollback(self, interaction: discord.Interaction) -> None:
        if not await self._require(interaction, admin=True):
            return
        lang = interaction_language(interaction)
        if await self.supervisor.registry.previous() is None:
            await self._refuse(interaction, "model_no_previous")
            return
        await uninterrupted(interaction.response.defer(thinking=True))  # loading a model takes seconds
        rows = await self.supervisor.rollback()
        if rows is None:
            await interaction.edit_original_response(content=text("model_no_previous", lang))
            return
        now_serving, rolled_back = rows
        log.info(
            "user %s rolled the digit model back from %s to %s",
            user_hash(interaction.user.id),
            rolled_back.version,
            now_serving.version,
        )
        await interaction.edit_original_response(
            content=text("model_rolled_back", lang, version=now_serving.version, old=rolled_back.version)
        )


async def setup(bot: GenAIBot) -> None:
    shipped = bot.sampler.version if bot.sampler is not None else None
    await bot.add_cog(
        Training(
            bot,
            training_dir=bot.settings.training_dir,
            shipped_version=shipped,
            supervisor=bot.supervisor,
            follower=bot.follower,
        )
    )
