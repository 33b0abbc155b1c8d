"""/about: what the bot does, which models it uses, what it keeps about users, whom to ask."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.features.about.embeds import about_embed
from bot.interactions.i18n import command_text, interaction_language, text
from genai_models.imaging import content_credentials
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
        credentials = self.credentials_text(interaction_language(interaction))
        if credentials is not None:
            embed.insert_field_at(
                1,
                name=text("about_credentials", interaction_language(interaction)),
                value=credentials,
                inline=False,
            )
        # Only the asker reads it: a channel needs no copy of the bot's self-description.
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @staticmethod
    def credentials_text(lang: str) -> str | None:
        """What the images' signature proves: a trusted issuer's, or the local authority's,
        which shows tampering but names no one a reader can trust. None: images are unsigned.
        (The bot's start-up made the signer, so asking for it here touches no disk.)"""
        signer = content_credentials.installed()
        if signer is None:
            return None
        if signer.identity.trusted_issuer:
            return text("about_credentials_trusted", lang, signer=signer.identity.signer_name)
        return text("about_credentials_local", lang)


async def setup(bot: GenAIBot) -> None:
    await bot.add_cog(About(bot))
