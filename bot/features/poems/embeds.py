"""/poem's messages: the poem as it streams in and once finished, its status before the first
words, and a poem written together. Everything a model wrote is labelled AI-generated with the
model's name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.interactions.embeds import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FOOTER_LIMIT,
    EMBED_TITLE_LIMIT,
    ai_label,
    clip,
    inert_links,
)
from bot.interactions.i18n import Lang, text
from genai_models.text import MAX_LINES

if TYPE_CHECKING:
    from bot.features.poems.together_state import SharedPoem
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

    Labelled AI-generated with its model in every state a reader can see, the growing text too;
    the model's markdown stays, its links do not (`inert_links`). `note` (a poem cut short, say
    so) goes in italics under the poem.
    """
    title = clip(text("poem_title", lang, topic=topic), EMBED_TITLE_LIMIT)
    tail = STREAM_CURSOR if streaming else ""
    if note:
        tail += "\n\n*" + clip(note, 200) + "*"
    body = clip(inert_links(poem), EMBED_DESCRIPTION_LIMIT - len(tail)) + tail
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


def together_embed(poem: SharedPoem, *, lang: Lang, writing: bool) -> discord.Embed:
    """A poem written together: each line with its author under it in small print (a person's
    mention, which notifies no one in an embed, or the AI mark), then where the poem stands
    (the poet writing, whose line is next, or finished with who wrote which lines). The footer
    labels the AI's lines as AI-generated, with the model's name."""
    ai = text("poem_together_ai", lang)
    rows = []
    for line in poem.lines:
        if line.by_model:
            credit = f"🤖 {ai}"
        elif line.by_someone_forgotten:
            credit = "✍️ " + text("poem_together_someone", lang)
        else:
            credit = f"✍️ <@{line.author}>"
        # Shown as written, never as markup: a line cannot pass itself off as a credit, and
        # its web addresses (which escaping leaves clickable) are shown as code.
        rows.append(f"{inert_links(discord.utils.escape_markdown(line.text))}\n-# {credit}")
    number = len(poem.lines) + 1
    if poem.finished:
        people = [str(i) for i, line in enumerate(poem.lines, 1) if not line.by_model]
        model = [str(i) for i, line in enumerate(poem.lines, 1) if line.by_model]
        status = text("poem_together_finished_note", lang, people=", ".join(people), ai=", ".join(model))
    elif writing:
        status = text("poem_together_writing", lang, number=number, total=MAX_LINES)
    elif poem.open:
        status = text("poem_together_open_turn", lang, number=number, total=MAX_LINES)
    else:
        owner = f"<@{poem.owner_id}>"
        status = text("poem_together_owner_turn", lang, number=number, total=MAX_LINES, owner=owner)
    tail = "\n\n*" + clip(status, 400) + "*"
    body = clip("\n".join(rows), EMBED_DESCRIPTION_LIMIT - len(tail)) + tail
    title = clip(text("poem_together_title", lang, topic=poem.topic), EMBED_TITLE_LIMIT)
    embed = discord.Embed(title=title, description=body, colour=POEM_COLOUR)
    embed.set_footer(text=clip(text("poem_together_label", lang, model=poem.model), EMBED_FOOTER_LIMIT))
    return embed
