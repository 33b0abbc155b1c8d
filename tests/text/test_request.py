"""PoemRequest cleans the topic and refuses what cannot become a poem; locales map to languages."""

from __future__ import annotations

import pytest

from genai_models.errors import InvalidInputError
from genai_models.text import MAX_TOPIC_CHARS, PoemRequest, language_for_locale


def test_defaults_are_spanish_free_verse():
    request = PoemRequest(topic="la inteligencia artificial")
    assert (request.language, request.form) == ("es", "free")


def test_control_characters_are_stripped():
    assert PoemRequest(topic="la\x00 lu\x07na\x1b[31m").topic == "la luna[31m"


def test_line_breaks_and_tabs_become_single_spaces():
    assert PoemRequest(topic="  la\r\n\tluna \n\n llena  ").topic == "la luna llena"


def test_bidirectional_overrides_are_removed():
    assert PoemRequest(topic="la \u202eanul\u202c luna").topic == "la anul luna"


def test_emoji_joiners_are_kept():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert PoemRequest(topic=f"mi familia {family}").topic == f"mi familia {family}"


@pytest.mark.parametrize("topic", ["", "   ", "\x00\x01\x1f", "\n\t\r"])
def test_empty_topic_is_refused(topic):
    with pytest.raises(InvalidInputError, match="give the poem a topic") as caught:
        PoemRequest(topic=topic)
    assert caught.value.code == "topic_empty"


@pytest.mark.parametrize(
    "topic",
    ["\u200b\u200b\u200b", "\u200d\ufeff\u2060", " \u200b \u3164 ", "\ufe0f\u0301", "\u2800\u2800"],
)
def test_a_topic_of_invisible_characters_only_is_refused_like_an_empty_one(topic):
    with pytest.raises(InvalidInputError, match="give the poem a topic") as caught:
        PoemRequest(topic=topic)
    assert caught.value.code == "topic_empty"


def test_invisible_characters_beside_visible_ones_are_kept():
    assert PoemRequest(topic="luna\u200bllena").topic == "luna\u200bllena"


def test_topic_at_the_length_limit_is_accepted():
    assert len(PoemRequest(topic="a" * MAX_TOPIC_CHARS).topic) == MAX_TOPIC_CHARS


def test_topic_over_the_length_limit_is_refused():
    with pytest.raises(InvalidInputError, match="too long") as caught:
        PoemRequest(topic="a" * (MAX_TOPIC_CHARS + 1))
    assert caught.value.code == "topic_too_long"
    assert caught.value.params["max_chars"] == MAX_TOPIC_CHARS


def test_length_is_counted_after_cleaning():
    padded = "\x00" * 50 + "a" * MAX_TOPIC_CHARS + "   \n"
    assert len(PoemRequest(topic=padded).topic) == MAX_TOPIC_CHARS


def test_unknown_form_is_refused():
    with pytest.raises(InvalidInputError, match="Unknown poem form 'epic'") as caught:
        PoemRequest(topic="la luna", form="epic")
    assert caught.value.code == "unknown_form"


def test_unknown_language_is_refused():
    with pytest.raises(InvalidInputError, match="Unknown poem language") as caught:
        PoemRequest(topic="la luna", language="klingon")
    assert caught.value.code == "unknown_language"


@pytest.mark.parametrize(
    "form", ["free", "haiku", "sonnet", "limerick", "ballad", "acrostic", "ode", "quatrain"]
)
def test_each_documented_form_makes_a_request(form):
    assert PoemRequest(topic="la luna", form=form).form == form


@pytest.mark.parametrize("language", ["es", "en", "fr", "pt-BR", "zh-TW", "uk"])
def test_poems_come_in_languages_beyond_the_bots_own(language):
    # the bot replies in Spanish and English, but a French user gets a French poem
    assert PoemRequest(topic="la luna", language=language).language == language


def test_a_refusal_says_what_was_wrong_in_english():
    with pytest.raises(InvalidInputError) as caught:
        PoemRequest(topic="a" * (MAX_TOPIC_CHARS + 12))
    assert str(caught.value) == (
        f"The topic is too long ({MAX_TOPIC_CHARS + 12} characters); please keep it under {MAX_TOPIC_CHARS}."
    )


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("es-ES", "es"),
        ("es-419", "es"),
        ("en-US", "en"),
        ("en-GB", "en"),
        ("fr", "fr"),  # a French user gets a French poem
        ("pt-BR", "pt-BR"),
        ("zh-TW", "zh-TW"),
        ("sv-SE", "sv"),
        ("es_mx", "es"),
        ("tlh", "en"),  # unknown: English
        ("", "en"),
        (None, "en"),
    ],
)
def test_language_for_locale(locale, language):
    assert language_for_locale(locale) == language
