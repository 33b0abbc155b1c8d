"""What every feature's messages share: Discord's length limits, attachments, notices, and the
AI-generated label every model's output carries.

Each feature builds its own embeds (bot/features/*/embeds.py) from these pieces; image encoding
itself (PNG grids, GIFs, charts) lives in `genai_models.imaging` and runs in the worker pool.
"""

from __future__ import annotations

import io
import re

import discord

from bot.interactions.i18n import Lang, text

# Discord's documented limits.
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
BUTTON_LABEL_LIMIT = 80

# The digit model's colour: its pictures, its training and its model record.
DIGIT_COLOUR = discord.Colour.from_rgb(90, 140, 230)
ERROR_COLOUR = discord.Colour.from_rgb(200, 80, 80)
PROGRESS_COLOUR = discord.Colour.from_rgb(150, 150, 160)


def clip(value: str, limit: int) -> str:
    """`value` cut to at most `limit` characters, marking the cut with an ellipsis."""
    if len(value) <= limit:
        return value
    return value[: limit - 1].rstrip() + "…"


# A masked link, [label](url): in a bot's message it reads as the label and opens the url
# (an escaped bracket, \[, makes none).
MASKED_LINK = re.compile(r"(?<!\\)\[([^\[\]\n]*)\]\(\s*<?[^()\s>]*>?[^()\n]*\)")
# A bare web address, which Discord makes clickable (angle brackets only drop its preview).
BARE_URL = re.compile(r"(?:https?://|www\.)[^\s`<>]+", re.IGNORECASE)


def inert_links(value: str) -> str:
    """Text a model wrote, with no link a reader could click: a masked link keeps only its
    label and a bare address is shown as code. Someone steering the model ("make the first
    line a link to…") must not get a phishing link posted under the bot's name."""
    value = MASKED_LINK.sub(lambda m: m.group(1), value)
    return BARE_URL.sub(_as_code, value)


def _as_code(found: re.Match[str]) -> str:
    address = found.group(0)
    kept = address.rstrip(").,;:!?'\"")  # the sentence's punctuation, not the address's
    return f"`{kept}`{address[len(kept) :]}"


def image_file(data: bytes, filename: str) -> discord.File:
    """Encoded image bytes as an attachment (embeds refer to it as attachment://filename)."""
    return discord.File(io.BytesIO(data), filename=filename)


def attach_image(embed: discord.Embed, data: bytes, filename: str) -> discord.File:
    """`data` as an attachment that `embed` shows as its image: each file name is written once,
    so the embed's reference and the attachment cannot drift apart."""
    embed.set_image(url=f"attachment://{filename}")
    return image_file(data, filename)


def ai_label(model: str, lang: Lang) -> str:
    return clip(text("ai_label", lang, model=model), EMBED_FOOTER_LIMIT)


def vae_label(version: str) -> str:
    return f"VAE {version}"


def vae_embed(title: str, *, version: str, lang: Lang, description: str | None = None) -> discord.Embed:
    """An embed of the digit model's work, labelled AI-generated with the model's version."""
    embed = discord.Embed(title=title, description=description, colour=DIGIT_COLOUR)
    embed.set_footer(text=ai_label(vae_label(version), lang))
    return embed


def notice_embed(message: str) -> discord.Embed:
    """A short notice that replaces a reply (for example a poem the moderation refused)."""
    return discord.Embed(description=clip(message, EMBED_DESCRIPTION_LIMIT), colour=ERROR_COLOUR)


def progress_embed(message: str) -> discord.Embed:
    """A placeholder saying where a request stands (its place in the queue); the result replaces it."""
    return discord.Embed(description=clip(message, EMBED_DESCRIPTION_LIMIT), colour=PROGRESS_COLOUR)
