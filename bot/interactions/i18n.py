"""Everything a Discord user reads, in the user's language, from the one catalogue.

The texts live in `genai_models/locales/<language>.po` (see `genai_models.catalogue` for the
format and why); this module only decides which language a Discord user reads and looks the
texts up: reply texts by key, errors by their code, and the command tree's descriptions and
choice labels by the explicit key each `locale_str` carries (`command_text`). Command and
option *names* stay as documented, in English, in every locale: users and docs rely on them;
a context menu's name (Apps → "Write a poem about this") is its label, so it is translated.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from genai_models.catalogue import CATALOGUE, SOURCE_LANGUAGE, Catalogue, english
from genai_models.errors import GenAIError
from genai_models.text.languages import language_for_locale

log = logging.getLogger(__name__)

Lang = str  # a language the catalogue has a file for: "en", "es", ...
# Interaction.extras: the reply language admission chose from the user's preference and the
# server's default (bot.interactions.server_context); absent, the user's Discord language.
REPLY_LANGUAGE = "genai_reply_language"

_NAME_LOCATIONS = frozenset(
    {
        app_commands.TranslationContextLocation.command_name,
        app_commands.TranslationContextLocation.group_name,
        app_commands.TranslationContextLocation.parameter_name,
    }
)


def language_of(locale: discord.Locale | str | None, catalogue: Catalogue = CATALOGUE) -> Lang:
    """The catalogue language for a Discord locale: its own if it has a file ("pt-BR"), else
    that of its primary language ("es" for es-419), else English."""
    language = language_for_locale(locale)
    for candidate in (language, language.partition("-")[0]):
        if candidate in catalogue.languages:
            return candidate
    return SOURCE_LANGUAGE


def interaction_language(interaction: discord.Interaction) -> Lang:
    """The user's own client language, not the server's: replies are read by that user
    (their preference, or their server's default language, when admission found one)."""
    return interaction.extras.get(REPLY_LANGUAGE) or language_of(interaction.locale)


def text(key: str, lang: Lang, **params: Any) -> str:
    """The text `key` in `lang`, filled with `params` (None values count as unknown).

    Raises KeyError when the key is unknown or its parameters are missing: a bug, not a reply.
    """
    return CATALOGUE.render(key, lang, params)


def error_text(error: GenAIError, lang: Lang) -> str:
    """A short reply for `error` in `lang`: its code's text, filled with its parameters."""
    try:
        return CATALOGUE.render(error.code, lang, error.params)
    except KeyError:
        # Its parameters do not fill the code's text (a raise site that forgot one): the
        # class's own sentence still tells the user what kind of thing went wrong.
        log.warning("no %s text for %s with params %s", lang, error.code, sorted(error.params))
        for code in (type(error).default_code, GenAIError.default_code):
            try:
                return CATALOGUE.render(code, lang, {})
            except KeyError:
                continue
        raise


def command_text(key: str) -> app_commands.locale_str:
    """A command tree string: the English text of `key`, carrying `key` for the translator."""
    return app_commands.locale_str(english(key), key=key)


class CommandTranslator(app_commands.Translator):
    """Descriptions and choice labels in each catalogue language, by key; names stay as they are."""

    def __init__(self, catalogue: Catalogue = CATALOGUE) -> None:
        super().__init__()
        self.catalogue = catalogue

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if context.location in _NAME_LOCATIONS and not isinstance(
            getattr(context, "data", None), app_commands.ContextMenu
        ):
            return None  # a context menu's name is all its users read of it: translated
        lang = language_of(locale, self.catalogue)
        if lang == SOURCE_LANGUAGE:
            return None  # the English text is the default every other locale falls back to
        key = string.extras.get("key")
        if key is None or not self.catalogue.has(key, lang):
            log.debug("no %s text for %r (%s)", lang, string.message, context.location.name)
            return None
        return self.catalogue.render(key, lang)
