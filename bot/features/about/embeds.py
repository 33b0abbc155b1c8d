"""/about's message: what the bot does, its models, what it keeps, whom to ask."""

from __future__ import annotations

from typing import Any

import discord

from bot.interactions.embeds import EMBED_FIELD_VALUE_LIMIT, EMBED_FOOTER_LIMIT, clip
from bot.interactions.i18n import Lang, text
from genai_models.numerals import number
from genai_models.vae.serving.card import MNIST_ATTRIBUTION

ABOUT_COLOUR = discord.Colour.from_rgb(120, 120, 130)


def about_embed(
    *,
    poem_model: str | None,
    digit_card: dict[str, Any] | None,
    contact: str | None,
    product: str,
    audit_retention_days: float = 0.0,
    lang: Lang,
) -> discord.Embed:
    """/about: what the bot does, its models, what it keeps, whom to ask. Only what a user may
    read: model names and versions, never endpoints or keys."""
    embed = discord.Embed(
        title=text("about_title", lang), description=text("about_text", lang), colour=ABOUT_COLOUR
    )
    models = [
        text("about_poem_model", lang, model=poem_model) if poem_model else text("about_no_poems", lang)
    ]
    if digit_card is None:
        models.append(text("about_no_digits", lang))
    else:
        data = digit_card.get("data") or {}
        sizes = {name: data.get(name) for name in ("train_size", "validation_size")}
        # SI grouping (6 000): correct in English and Spanish alike.
        shown = {
            name: f"{size:,}".replace(",", "\u202f") for name, size in sizes.items() if isinstance(size, int)
        }
        # Held-out digits named too: the credit below speaks of the 8,000 the two came from. A
        # card without sizes gets the catalogue's variant of the text that needs none.
        models.append(text("about_digit_model", lang, version=digit_card["version"], **shown))
    embed.add_field(
        name=text("about_models", lang), value=clip("\n".join(models), EMBED_FIELD_VALUE_LIMIT), inline=False
    )
    if digit_card is not None and digit_card.get("attribution"):
        # The shipped digits' credit in the reader's language; another data set's as its card says it.
        credit = digit_card["attribution"]
        credit = text("about_credit_mnist", lang) if credit == MNIST_ATTRIBUTION else credit
        embed.add_field(
            name=text("about_credit", lang), value=clip(credit, EMBED_FIELD_VALUE_LIMIT), inline=False
        )
    audit = (
        text("about_audit", lang, days=number(audit_retention_days, lang))
        if audit_retention_days > 0
        else text("about_audit_disabled", lang)
    )
    kept = f"{text('about_data_text', lang)}\n{audit}\n{text('about_settings', lang)}"
    embed.add_field(name=text("about_data", lang), value=clip(kept, EMBED_FIELD_VALUE_LIMIT), inline=False)
    embed.add_field(
        name=text("about_contact", lang),
        value=clip(contact or text("about_contact_default", lang), EMBED_FIELD_VALUE_LIMIT),
        inline=False,
    )
    embed.set_footer(text=clip(product, EMBED_FOOTER_LIMIT))
    return embed
