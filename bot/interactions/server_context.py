"""An interaction's server rules and its user's preferences, loaded once at admission.

`load` reads both through the bot's `ServerRules` cache (memory, almost always) and keeps them
in the interaction's extras, with the reply language they decide; commands read them back with
`rules_of` and `preferences_of`.

The reply language, in order: the user's own preference; their Discord language when the
catalogue has it (English or Spanish); else their server's default; else English.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import discord

from bot.fair_use.access import is_admin
from bot.interactions.i18n import REPLY_LANGUAGE
from genai_models.catalogue import CATALOGUE, SOURCE_LANGUAGE
from genai_models.text.languages import language_for_locale

if TYPE_CHECKING:
    from bot.guild_rules import GuildRules

RULES = "genai_rules"  # Interaction.extras: the server's GuildRules
PREFERENCES = "genai_preferences"  # Interaction.extras: the user's preferences (a dict)
# The same rules for code that has no interaction at hand (an image drawn for a command or a
# button runs in the task that admitted it).
_CURRENT: ContextVar[GuildRules | None] = ContextVar("genai_rules", default=None)


async def load(interaction: discord.Interaction) -> GuildRules:
    server_rules = interaction.client.server_rules  # type: ignore[attr-defined]
    rules = await server_rules.rules(interaction.guild_id)
    preferences = await server_rules.preferences(interaction.user.id)
    interaction.extras[RULES] = rules
    interaction.extras[PREFERENCES] = preferences
    interaction.extras[REPLY_LANGUAGE] = reply_language(interaction.locale, preferences, rules)
    _CURRENT.set(rules)
    return rules


def current_rules() -> GuildRules | None:
    """The rules of the interaction this task admitted; None outside one."""
    return _CURRENT.get()


def rules_of(interaction: discord.Interaction) -> GuildRules:
    found = interaction.extras.get(RULES)
    return found if found is not None else interaction.client.server_rules.defaults  # type: ignore[attr-defined]


def preferences_of(interaction: discord.Interaction) -> dict[str, Any]:
    return interaction.extras.get(PREFERENCES) or {}


def reply_language(
    locale: discord.Locale | str | None, preferences: dict[str, Any], rules: GuildRules
) -> str:
    chosen = preferences.get("language")
    if chosen in CATALOGUE.languages:
        return chosen
    own = language_for_locale(locale)
    for candidate in (own, own.partition("-")[0]):
        if candidate in CATALOGUE.languages:
            return candidate
    return rules.language if rules.language in CATALOGUE.languages else SOURCE_LANGUAGE


def role_ids(interaction: discord.Interaction) -> set[int]:
    return {role.id for role in getattr(interaction.user, "roles", ())}


def manages_server(interaction: discord.Interaction) -> bool:
    """The one admin rule (bot.fair_use.access.is_admin) for this interaction's bot."""
    return is_admin(interaction, interaction.client.settings.owner_ids)  # type: ignore[attr-defined]
