"""/train-status: how the VAE's training is going, read from the status file it rewrites."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import rendering
from bot.i18n import Lang, command_text, interaction_language
from bot.responses import Reply, reply_with
from genai_models import imaging
from genai_models.vae.training.status import TrainingStatus, read_status

if TYPE_CHECKING:
    from bot.client import GenAIBot

log = logging.getLogger(__name__)


def read_status_and_curve(training_dir: Path) -> tuple[TrainingStatus | None, bytes | None]:
    """The status (None: training never ran) and its loss curve, when there is history."""
    status = read_status(training_dir)
    if status is None or not any(status.history.values()):
        return status, None
    return status, imaging.loss_curve_png(status.history)


class Training(commands.Cog):
    """The VAE's training, seen from Discord.

    `training_dir` is where `genai-bot train` writes its status; `shipped_version` is the
    version of the model this process serves (None when it loaded none), named when no
    training has run.
    """

    def __init__(self, bot: GenAIBot, *, training_dir: Path, shipped_version: str | None) -> None:
        self.bot = bot
        self.training_dir = training_dir
        self.shipped_version = shipped_version

    @app_commands.command(
        name="train-status", description=command_text("train-status.description")
    )
    async def train_status(self, interaction: discord.Interaction) -> None:
        await reply_with(interaction, self._status_reply(interaction_language(interaction)))

    async def _status_reply(self, lang: Lang) -> Reply:
        status, curve = await self.bot.run_blocking(read_status_and_curve, self.training_dir)
        return rendering.training_reply(
            status, curve, shipped_version=self.shipped_version, lang=lang
        )


async def setup(bot: GenAIBot) -> None:
    shipped = bot.sampler.version if bot.sampler is not None else None
    await bot.add_cog(
        Training(bot, training_dir=bot.settings.training_dir, shipped_version=shipped)
    )
