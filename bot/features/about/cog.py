"""/about: what the bot does, which models it uses, what it keeps about users, whom to ask."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.features.about.embeds import about_embed
from bot.interactions.i18n import command_text, interaction_language
from genai_models.imaging.provenance import product_version

if TYPE_CHECKING:
    from bot.client import GenAIBot


class About(commands.Cog):
    """The bot describing itself, in the reader's language."""

    def __init__(self, bot: GenAIBot) -> None:
        self.bot = bot

    @app_commands.command(name="about", description=command_text("about.description"))
    async def about(self, interaction: discord.Interaction) -> None:
        poet, sampler = self.bot.poet, self.bot.sampler
        embed = about_embed(
            poem_model=poet.model if poet is not None else None,
            digit_card=sampler.card if sampler is not None else None,
            contact=self.bot.settings.operator_contact,
            audit_retention_days=self.bot.settings.audit_retention_days,
            product=product_version(),
            lang=interaction_language(interaction),
        )
        # Only the asker reads it: a channel needs no copy of the bot's self-description.
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: GenAIBot) -> None:
    await bot.add_cog(About(bot))
