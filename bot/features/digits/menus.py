"""Apps → "Handwriting → digits": /handwriting on the image a message carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.exceptions import MessageCommandError
from bot.interactions import attachments
from bot.interactions.admission import FAIR_USE_AS
from bot.interactions.i18n import command_text, interaction_language
from bot.interactions.responses import reply_with

if TYPE_CHECKING:
    from bot.features.digits.cog import Digits


def image_of(message: discord.Message) -> discord.Attachment:
    """The message's first image (else its first file, which the checks then refuse clearly)."""
    files = message.attachments
    if not files:
        raise MessageCommandError(code="message_without_image")
    return next((f for f in files if (f.content_type or "").startswith("image/")), files[0])


def handwriting_from_message(cog: Digits) -> app_commands.ContextMenu:
    """The message command, bound to `cog` (discord.py takes menus outside a cog's class)."""

    async def write_digits(interaction: discord.Interaction, message: discord.Message) -> None:
        cog.require_sampler()
        image = image_of(message)
        attachments.check_attachment(image)  # a wrong file is refused before any deferral
        lang = interaction_language(interaction)
        await reply_with(interaction, cog.reply_to_handwriting(image, None, lang))

    return app_commands.ContextMenu(
        name=command_text("menu.handwriting-from-message"),
        callback=write_digits,
        extras={FAIR_USE_AS: "handwriting"},
    )
