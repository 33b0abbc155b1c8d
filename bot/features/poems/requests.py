"""A poem's request from what the user gave and what they and their server chose: one place for
/poem and the Apps menu alike."""

from __future__ import annotations

import discord

from bot.interactions.server_context import preferences_of, rules_of
from genai_models.text import DEFAULT_FORM, PoemRequest, language_for_locale


def poem_request(
    interaction: discord.Interaction, topic: str, *, form: str | None, language: str | None
) -> PoemRequest:
    """What the user asked, with the blanks filled in: the form from their preference, else
    their server's default; the language from their preference, else their Discord's; and the
    server's style note, which the poet reads as data."""
    preferences, rules = preferences_of(interaction), rules_of(interaction)
    return PoemRequest(
        topic=topic,
        form=form or preferences.get("poem_form") or rules.poem_form or DEFAULT_FORM,
        language=language or preferences.get("language") or language_for_locale(interaction.locale),
        style=rules.persona,
    )
