"""Apps → "Write a poem about this": a poem whose topic is a message's text.

The same path as /poem: the text gets the topic's cleaning and checks (PoemRequest), then the
moderation, the fair use of /poem (the menu counts as /poem) and the AI label of every poem.
A message longer than a topic may be is cut at a word, so any message can be written about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.exceptions import MessageCommandError
from bot.features.poems.requests import poem_request
from bot.interactions.admission import FAIR_USE_AS
from bot.interactions.i18n import command_text
from bot.interactions.responses import uninterrupted
from genai_models.text import MAX_TOPIC_CHARS
from genai_models.text.request import clean_topic, is_visible

if TYPE_CHECKING:
    from bot.features.poems.cog import Poems


def topic_of(content: str) -> str:
    """A message's text as a poem's topic: cleaned, and cut at a word to fit."""
    topic = clean_topic(content)
    if not is_visible(topic):
        raise MessageCommandError(code="message_without_text")
    if len(topic) > MAX_TOPIC_CHARS:
        cut = topic[: MAX_TOPIC_CHARS - 1]
        topic = (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return topic


def poem_about_message(cog: Poems) -> app_commands.ContextMenu:
    """The message command, bound to `cog` (discord.py takes menus outside a cog's class)."""

    async def write_about(interaction: discord.Interaction, message: discord.Message) -> None:
        # The user's preferred form and language and the server's style note, as /poem has them.
        request = poem_request(interaction, topic_of(message.content), form=None, language=None)
        if not interaction.response.is_done():  # a poem that waited its turn is deferred already
            await uninterrupted(interaction.response.defer())
        await cog.write_poem(interaction, request)

    return app_commands.ContextMenu(
        name=command_text("menu.poem-about-message"), callback=write_about, extras={FAIR_USE_AS: "poem"}
    )
