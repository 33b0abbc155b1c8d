"""/train-status: how the VAE's training is going, read from the status file it rewrites."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import rendering
from bot.i18n import interaction_language
from genai_models import imaging
from genai_models.vae.status import TrainingStatus, read_status

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

    @app_commands.command(name="train-status", description="Show how the VAE's training is going.")
    async def train_status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        status, curve = await self.bot.run_blocking(
            read_status_and_curve, self.bot.settings.training_dir
        )
        shipped = self.bot.sampler.version if self.bot.sampler is not None else None
        embed = rendering.training_embed(
            status, shipped_version=shipped, lang=interaction_language(interaction)
        )
        files = []
        if curve is not None:
            embed.set_image(url=f"attachment://{CURVE_FILENAME}")
            files.append(rendering.image_file(curve, CURVE_FILENAME))
        await interaction.edit_original_response(embed=embed, attachments=files)


async def setup(bot: GenAIBot) -> None:
    await bot.add_cog(Training(bot))
