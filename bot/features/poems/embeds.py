"""/poem's messages: the poem as it streams in and once finished, and its status before the first
words. Everything a model wrote is labelled AI-generated with the model's name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.interactions.embeds import EMBED_DESCRIPTION_LIMIT, EMBED_TITLE_LIMIT, ai_label, clip
from bot.interactions.i18n import Lang, text

if TYPE_CHECKING:
    from genai_models.text import Poem

STREAM_CURSOR = " ▌"  # shows readers the poem is still being written
POEM_COLOUR = discord.Colour.from_rgb(235, 160, 60)


def poem_embed(
    poem: str,
    *,
    topic: str,
    lang: Lang,
    model: str,
    streaming: bool = False,
    note: str | None = None,
) -> discord.Embed:
    """The poem so far (`streaming`) or finished, within the embed description limit.

    Labelled AI-generated with its model in every state a reader can see, the growing text too.
    `note` (a poem cut short, say so) goes in italics under the poem.
    """
    title = clip(text("poem_title", lang, topic=topic), EMBED_TITLE_LIMIT)
    tail = STREAM_CURSOR if streaming else ""
    if note:
        tail += "\n\n*" + clip(note, 200) + "*"
    body = clip(poem, EMBED_DESCRIPTION_LIMIT - len(tail)) + tail
    embed = discord.Embed(title=title, description=body or "…", colour=POEM_COLOUR)
    embed.set_footer(text=ai_label(model, lang))
    return embed


def cut_note(poem: Poem, lang: Lang) -> str | None:
    """What a reader is told under a poem cut short; None for a finished one."""
    if not poem.cut:
        return None
    return text("poem_cut_deadline" if poem.finish_reason == "deadline" else "poem_cut_length", lang)


def poem_status_embed(status: str, *, topic: str, lang: Lang, model: str) -> discord.Embed:
    """A poem's message before its first words: its place in line, or a busy service retried."""
    title = clip(text("poem_title", lang, topic=topic), EMBED_TITLE_LIMIT)
    body = "*" + clip(status, EMBED_DESCRIPTION_LIMIT - 2) + "*"
    embed = discord.Embed(title=title, description=body, colour=POEM_COLOUR)
    embed.set_footer(text=ai_label(model, lang))
    return embed
