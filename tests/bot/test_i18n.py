"""Reply texts in Spanish and English, chosen by the user's Discord locale."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot.i18n import CATALOGUE, CommandTranslator, error_text, language_of, text
from genai_models.errors import (
    ContentFlaggedError,
    GenAIError,
    InvalidInputError,
    RateLimitedError,
    ServiceUnavailableError,
)


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        (discord.Locale.spain_spanish, "es"),
        (discord.Locale.latin_american_spanish, "es"),
        (discord.Locale.american_english, "en"),
        (discord.Locale.french, "en"),
        ("es-419", "es"),
        (None, "en"),
    ],
)
def test_spanish_locales_get_spanish_and_everyone_else_english(locale, lang):
    assert language_of(locale) == lang


def test_every_catalogue_entry_has_both_languages():
    for key, entry in CATALOGUE.items():
        assert set(entry) == {"en", "es"}, key


def test_english_keeps_the_services_own_sentence_for_a_known_code():
    error = RateLimitedError("The text service is busy; try again in about 20 s.", retry_after=19.2)
    assert error_text(error, "en") == "The text service is busy; try again in about 20 s."


def test_spanish_names_the_wait_when_known_and_degrades_when_not():
    assert "unos 20 s" in error_text(RateLimitedError("busy", retry_after=19.2), "es")
    assert error_text(RateLimitedError("busy"), "es") == (
        "El servicio de texto está ocupado; inténtalo de nuevo en un momento."
    )


def test_spanish_fills_the_errors_parameters():
    error = InvalidInputError("too long", code="topic_too_long", length=412, max_chars=300)
    assert error_text(error, "es") == (
        "El tema es demasiado largo (412 caracteres); usa menos de 300."
    )


def test_output_flag_has_its_own_text_distinct_from_input_flag():
    said_input = error_text(ContentFlaggedError("x", stage="input"), "en")
    said_output = error_text(ContentFlaggedError("x", stage="output"), "en")
    assert said_input != said_output
    assert "removed" in said_output


def test_unknown_code_in_english_keeps_the_services_own_safe_message():
    error = InvalidInputError("The image is blank; draw a digit first.", code="blank_image")
    assert error_text(error, "en") == "The image is blank; draw a digit first."


def test_unknown_code_in_spanish_falls_back_to_its_class_text():
    error = ServiceUnavailableError("down", code="brand_new_code")
    assert error_text(error, "es") == text("service_unavailable", "es")


def test_a_bare_genai_error_gets_the_generic_line_in_spanish():
    assert error_text(GenAIError("boom", code="nowhere"), "es") == text("error", "es")


def test_text_refuses_missing_parameters_loudly():
    with pytest.raises(KeyError, match="not_your_buttons"):
        text("not_your_buttons", "en")


class _Context:
    def __init__(self, location):
        self.location = location


@pytest.mark.asyncio
async def test_translator_keeps_names_and_translates_descriptions():
    translator = CommandTranslator()
    loc = app_commands.TranslationContextLocation
    name = await translator.translate(
        app_commands.locale_str("digit"), discord.Locale.spain_spanish, _Context(loc.command_name)
    )
    description = await translator.translate(
        app_commands.locale_str("Draw handwritten digits with the VAE."),
        discord.Locale.latin_american_spanish,
        _Context(loc.command_description),
    )
    english = await translator.translate(
        app_commands.locale_str("Draw handwritten digits with the VAE."),
        discord.Locale.british_english,
        _Context(loc.command_description),
    )
    assert name is None
    assert description == "Dibuja dígitos manuscritos con el VAE."
    assert english is None
