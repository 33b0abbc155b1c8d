"""Every text a user reads comes from the one catalogue, in the user's language."""

from __future__ import annotations

import ast
import importlib
import shutil
import string
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.client import EXTENSIONS
from bot.interactions.i18n import CommandTranslator, error_text, language_of, text
from genai_models.catalogue import CATALOGUE, LOCALES_DIR, Catalogue
from genai_models.errors import (
    ContentFlaggedError,
    GenAIError,
    InvalidInputError,
    RateLimitedError,
    ServiceUnavailableError,
    all_codes,
)

ROOT = Path(__file__).resolve().parents[2]
# every module a user's text can come from
SOURCES = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "genai_models").rglob("*.py")])


def every_code() -> frozenset[str]:
    """The closed set, once every module that defines a GenAIError class is imported."""
    for module in (
        "bot.interactions.attachments",
        "bot.worker_pool",
        "bot.fair_use.gate",
        "bot.interactions.options",
        "bot.storage",
        *EXTENSIONS,
    ):
        importlib.import_module(module)
    return all_codes()


def _raised_codes() -> dict[str, str]:
    """Every `code="..."` given to an ...Error(...) call in the source, with where it is."""
    found = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            if not name.endswith("Error"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    found[keyword.value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def _parameters(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        (discord.Locale.spain_spanish, "es"),
        (discord.Locale.latin_american_spanish, "es"),
        (discord.Locale.american_english, "en"),
        (discord.Locale.french, "en"),  # no French file: English
        (discord.Locale.brazil_portuguese, "en"),
        ("es-419", "es"),
        (None, "en"),
    ],
)
def test_spanish_locales_get_spanish_and_everyone_else_english(locale, lang):
    assert language_of(locale) == lang


# --- the closed set of error codes -------------------------------------------------------


def test_every_error_code_has_a_text_in_every_language():
    missing = [
        (code, lang) for code in every_code() for lang in CATALOGUE.languages if not CATALOGUE.has(code, lang)
    ]
    assert not missing


def test_every_code_raised_in_the_source_is_in_the_closed_set():
    raised = _raised_codes()
    assert len(raised) > 20  # the scan does find the raise sites
    unknown = {code: where for code, where in raised.items() if code not in every_code()}
    assert not unknown


def test_a_code_outside_the_set_is_refused_where_it_is_raised():
    with pytest.raises(ValueError, match="no error code 'blank_image'"):
        InvalidInputError(code="blank_image")
    with pytest.raises(ValueError, match="ServiceUnavailableError has no error code 'topic_empty'"):
        ServiceUnavailableError(code="topic_empty")


def test_translations_use_only_the_parameters_of_the_english_text():
    for lang in CATALOGUE.languages:
        for key in CATALOGUE.keys(lang):
            english = _parameters(CATALOGUE.templates(key, "en")[0])
            assert _parameters(CATALOGUE.templates(key, lang)[0]) <= english, (lang, key)


# --- English from the catalogue, the user's language from the same entry ----------------


def test_english_is_the_services_own_sentence_and_the_errors_str():
    error = RateLimitedError(retry_after=19.2)
    assert str(error) == "The text service is busy; try again in about 20 s."
    assert error_text(error, "en") == str(error)


def test_a_long_wait_is_said_in_minutes_in_both_languages():
    error = ServiceUnavailableError(retry_after=150)
    assert str(error) == "The text service is having trouble right now; try again in about 3 min."
    assert error_text(error, "es").endswith("en unos 3 min.")


def test_spanish_names_the_wait_when_known_and_degrades_when_not():
    assert "dentro de 20 s" in error_text(RateLimitedError(retry_after=19.2), "es")
    assert error_text(RateLimitedError(), "es") == (
        "El servicio de texto está ocupado; inténtalo de nuevo en un momento."
    )
    assert str(RateLimitedError()) == "The text service is busy; try again in a minute."


def test_spanish_fills_the_errors_parameters():
    error = InvalidInputError(code="topic_too_long", length=412, max_chars=300)
    assert error_text(error, "es") == ("El tema es demasiado largo (412 caracteres); usa como máximo 300.")


def test_output_flag_has_its_own_text_distinct_from_input_flag():
    said_input = error_text(ContentFlaggedError(stage="input"), "en")
    said_output = error_text(ContentFlaggedError(stage="output"), "en")
    assert said_input != said_output
    assert "content check" in said_output
    assert "lo quité" in error_text(ContentFlaggedError(stage="output"), "es")


def test_an_operators_diagnostic_stays_in_english_and_spanish_gets_the_plain_sentence():
    error = GenAIError("weights file missing: /srv/model/vae.keras")
    assert str(error) == "weights file missing: /srv/model/vae.keras"
    assert error_text(error, "es") == "Algo salió mal. Inténtalo de nuevo."
    assert str(GenAIError()) == "Something went wrong. Please try again."


def test_text_refuses_missing_parameters_loudly():
    with pytest.raises(KeyError, match="not_your_buttons"):
        text("not_your_buttons", "en")


# --- locale files: no orphans, and a new language is one file -----------------------------


def test_a_translation_of_a_key_english_lacks_is_an_orphan_too():
    for lang in CATALOGUE.languages:
        assert CATALOGUE.keys(lang) <= CATALOGUE.keys("en"), lang


FRENCH = """\
msgid ""
msgstr ""
"Language: fr\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "poem_title"
msgstr "Un poème sur {topic}"

msgid "digit.description"
msgstr "Dessine des chiffres manuscrits avec le VAE."

#, fuzzy
msgid "seed"
msgstr "Graine ?"
"""


@pytest.fixture
def with_french(tmp_path) -> Catalogue:
    for path in LOCALES_DIR.glob("*.po"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "fr.po").write_text(FRENCH, encoding="utf-8")
    return Catalogue.from_dir(tmp_path)


def test_adding_a_language_is_adding_one_file(with_french):
    assert with_french.languages == {"en", "es", "fr"}
    assert language_of(discord.Locale.french, with_french) == "fr"
    assert with_french.render("poem_title", "fr", {"topic": "la lune"}) == "Un poème sur la lune"
    # untranslated (or only fuzzily translated) keys fall back to English
    assert with_french.render("seed", "fr") == "Seed"


@pytest.mark.asyncio
async def test_a_new_languages_file_localises_the_command_tree(with_french):
    translator = CommandTranslator(with_french)
    described = await translator.translate(
        app_commands.locale_str("Draw handwritten digits with the VAE.", key="digit.description"),
        discord.Locale.french,
        _Context(app_commands.TranslationContextLocation.command_description),
    )
    assert described == "Dessine des chiffres manuscrits avec le VAE."


# --- the command tree's translator --------------------------------------------------------


class _Context:
    def __init__(self, location):
        self.location = location


@pytest.mark.asyncio
async def test_translator_keeps_names_and_translates_descriptions():
    translator = CommandTranslator()
    loc = app_commands.TranslationContextLocation
    name = await translator.translate(
        app_commands.locale_str("digit", key="digit.description"),
        discord.Locale.spain_spanish,
        _Context(loc.command_name),
    )
    description = await translator.translate(
        app_commands.locale_str("Draw handwritten digits with the VAE.", key="digit.description"),
        discord.Locale.latin_american_spanish,
        _Context(loc.command_description),
    )
    english = await translator.translate(
        app_commands.locale_str("Draw handwritten digits with the VAE.", key="digit.description"),
        discord.Locale.british_english,
        _Context(loc.command_description),
    )
    assert name is None
    assert description == "Dibuja dígitos manuscritos (0-9) con IA."
    assert english is None


@pytest.mark.asyncio
async def test_rewording_the_english_keeps_its_spanish():
    reworded = app_commands.locale_str("Draws MNIST-style digits.", key="digit.description")
    spanish = await CommandTranslator().translate(
        reworded,
        discord.Locale.spain_spanish,
        _Context(app_commands.TranslationContextLocation.command_description),
    )
    assert spanish == "Dibuja dígitos manuscritos (0-9) con IA."


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_problem_only_the_operator_can_mend_is_told_without_its_diagnostic(lang):
    from bot.interactions.errors import user_message
    from genai_models.errors import ModelFileError
    from genai_models.imaging.content_credentials import SigningError

    for error in (
        SigningError("Content Credentials could not be signed: C2paError::CoseCertExpiration"),
        ModelFileError("Model file /srv/genai/models/v3/vae.keras is unreadable"),
    ):
        told = user_message(error, lang)
        assert "C2paError" not in told and "/srv/" not in told
        assert told == text(f"{error.code}_reply", lang)
