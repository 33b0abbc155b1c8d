"""/poem: a short poem from the chat model, streamed into the reply as it is written."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import rendering
from bot.i18n import Lang, command_text, error_text, interaction_language
from bot.logs import user_hash
from genai_models.errors import ContentFlaggedError
from genai_models.text import DEFAULT_FORM, FORMS, MAX_TOPIC_CHARS, PoemRequest, language_for_locale

if TYPE_CHECKING:
    from bot.client import GenAIBot
    from genai_models.text import Poem, PoemStream, Poet

log = logging.getLogger(__name__)

# Discord allows an interaction's message about 5 edits every 5 s; one a second leaves room
# and still reads as live text.
EDIT_INTERVAL_S = 1.0

# How each form and language is offered in the option's menu: labels are catalogue texts.
FORM_CHOICES = [app_commands.Choice(name=command_text(f"form.{f}"), value=f) for f in FORMS][:25]
LANGUAGE_CHOICES = [
    app_commands.Choice(name=command_text(f"language.{code}"), value=code) for code in ("es", "en")
]


class Poems(commands.Cog):
    """Poems written by a chat model."""

    def __init__(self, bot: GenAIBot, poet: Poet, *, edit_interval_s: float = EDIT_INTERVAL_S):
        self.bot = bot
        self.poet = poet
        self.edit_interval_s = edit_interval_s

    @app_commands.command(name="poem", description=command_text("poem.description"))
    @app_commands.describe(
        topic=command_text("poem.topic"),
        form=command_text("poem.form"),
        language=command_text("poem.language"),
    )
    @app_commands.choices(form=FORM_CHOICES, language=LANGUAGE_CHOICES)
    async def poem(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, MAX_TOPIC_CHARS],
        form: str = DEFAULT_FORM,
        language: str | None = None,
    ) -> None:
        # Built before deferring: a bad topic is refused at once, ephemerally.
        request = PoemRequest(
            topic=topic, form=form, language=language or language_for_locale(interaction.locale)
        )
        if not interaction.response.is_done():  # a poem that waited its turn is deferred already
            await interaction.response.defer()
        lang = interaction_language(interaction)
        async with self.poet.write(request) as stream:
            try:
                poem = await self._stream_into(interaction, stream, request.topic, lang)
            except ContentFlaggedError as exc:
                if exc.stage != "output":
                    raise  # nothing was shown: the error handler answers ephemerally
                # The text already on screen failed the check: replace it, in place.
                await interaction.edit_original_response(
                    embed=rendering.notice_embed(error_text(exc, lang))
                )
                return
        await interaction.edit_original_response(
            embed=rendering.poem_embed(poem.text, topic=request.topic, lang=lang, model=poem.model)
        )
        log.info(
            "poem for user %s: %s, %d chars, finish=%s, tokens=%s",
            user_hash(interaction.user.id),
            poem.model,
            len(poem.text),
            poem.finish_reason,
            poem.usage.total_tokens if poem.usage else "unknown",
        )

    async def _stream_into(
        self, interaction: discord.Interaction, stream: PoemStream, topic: str, lang: Lang
    ) -> Poem:
        """Show the poem as it grows, editing at most once per `edit_interval_s`."""
        loop = asyncio.get_running_loop()
        last_edit = float("-inf")
        shown = ""
        async for _piece in stream:
            if loop.time() - last_edit < self.edit_interval_s or stream.text == shown:
                continue
            shown = stream.text
            await interaction.edit_original_response(
                embed=rendering.poem_embed(
                    shown, topic=topic, lang=lang, model=self.poet.model, streaming=True
                )
            )
            last_edit = loop.time()  # counted from when the edit was done, not sent
        poem = await stream.final()
        # The final edit keeps the pace too, so readers never see two edits within a second.
        await asyncio.sleep(max(0.0, last_edit + self.edit_interval_s - loop.time()))
        return poem


async def setup(bot: GenAIBot) -> None:
    if bot.poet is None:
        log.warning("no text endpoint configured (OPENAI_API_KEY / OPENAI_BASE_URL): no /poem")
        return
    await bot.add_cog(Poems(bot, bot.poet))
