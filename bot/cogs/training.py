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

CURVE_FILENAME = "loss-curve.png"


def read_status_and_curve(training_dir: Path) -> tuple[TrainingStatus | None, bytes | None]:
    """The status (None: training never ran) and its loss curve, when there is history."""
    status = read_status(training_dir)
    if status is None or not any(status.history.values()):
        return status, None
    return status, imaging.loss_curve_png(status.history)


class Training(commands.Cog):
    """The VAE's training, seen from Discord."""

    def __init__(self, bot: GenAIBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="train-status", description=command_text("train-status.description")
    )
    async def train_status(self, interaction: discord.Interaction) -> None:
        await reply_with(interaction, self._status_reply(interaction_language(interaction)))

    async def _status_reply(self, lang: Lang) -> Reply:
        status, curve = await self.bot.run_blocking(
            read_status_and_curve, self.bot.settings.training_dir
        )
        shipped = self.bot.sampler.version if self.bot.sampler is not None else None
        embed = rendering.training_embed(status, shipped_version=shipped, lang=lang)
        reply = Reply(embeds=[embed])
        if curve is not None:
            embed.set_image(url=f"attachment://{CURVE_FILENAME}")
            reply.files.append(rendering.image_file(curve, CURVE_FILENAME))
        return reply


async def setup(bot: GenAIBot) -> None:
    await bot.add_cog(Training(bot))
