"""What a user asks for: a topic, a language and a form, cleaned and checked on creation."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from genai_models.errors import InvalidInputError
from genai_models.text.languages import DEFAULT_LANGUAGE, LANGUAGE_NAMES
from genai_models.text.prompts import DEFAULT_FORM, FORMS

MAX_TOPIC_CHARS = 300  # after cleaning; enough for a sentence, too short to smuggle an essay
# A poem to translate is one this product wrote and showed in one embed (4096 characters).
MAX_ORIGINAL_CHARS = 4096
# A server's style note for its poems: a sentence or two, far too short to carry a second prompt.
MAX_STYLE_CHARS = 200

# Characters that change how text is displayed without being visible: bidi overrides and
# isolates can make a topic read differently to moderators than to the model.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WHITESPACE_RUN = re.compile(r"\s+")
# Characters that draw nothing on their own: format characters (zero-width space, joiners),
# separators, combining marks and variation selectors, and the blank "filler" letters.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_visible(text: str) -> bool:
    """Whether `text` shows anything: a topic of zero-width characters alone reads as empty."""
    return any(
        unicodedata.category(char) not in _INVISIBLE_CATEGORIES and char not in _BLANK_LETTERS
        for char in text
    )


def clean_topic(raw: str) -> str:
    """Drop control characters (line breaks and tabs become spaces) and squeeze whitespace.

    Zero-width joiners and other format characters stay: emoji sequences need them.
    """
    kept = []
    for char in raw:
        if char in _BIDI_CONTROLS:
            continue
        if unicodedata.category(char) == "Cc":
            kept.append(" " if char.isspace() else "")
            continue
        kept.append(char)
    return _WHITESPACE_RUN.sub(" ", "".join(kept)).strip()


@dataclass(frozen=True, slots=True)
class PoemRequest:
    """One poem to write. `topic` is stored cleaned; invalid values raise InvalidInputError.

    `language` is a key of `LANGUAGE_NAMES` ("es", "en", "fr", "pt-BR", ...; use
    `language_for_locale` to get one from a Discord locale); `form` is one of `FORMS`.
    `original`, when given, is a poem (on `topic`, in `form`) to translate into `language`
    instead of writing a new one. `style`, when given, is a community's note on the poems'
    voice (cleaned like the topic); the model reads it as data, like the topic.
    """

    topic: str
    language: str = DEFAULT_LANGUAGE
    form: str = DEFAULT_FORM
    original: str | None = None
    style: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.topic, str):
            raise InvalidInputError(code="topic_empty")
        topic = clean_topic(self.topic)
        if not is_visible(topic):
            raise InvalidInputError(code="topic_empty")
        if len(topic) > MAX_TOPIC_CHARS:
            raise InvalidInputError(
                code="topic_too_long",
                length=len(topic),
                max_chars=MAX_TOPIC_CHARS,
            )
        if self.form not in FORMS:
            form = str(self.form)[:40]  # echoed back to the user: keep it short
            raise InvalidInputError(
                code="unknown_form",
                form=form,
                choices=", ".join(FORMS),
            )
        if self.language not in LANGUAGE_NAMES:
            language = str(self.language)[:40]
            raise InvalidInputError(code="unknown_language", language=language)
        if self.original is not None and not 0 < len(self.original.strip()) <= MAX_ORIGINAL_CHARS:
            raise InvalidInputError(code="original_unusable", max_chars=MAX_ORIGINAL_CHARS)
        object.__setattr__(self, "topic", topic)
        if self.style is not None:
            style = clean_topic(str(self.style))
            if not is_visible(style) or len(style) > MAX_STYLE_CHARS:
                raise InvalidInputError(code="style_unusable", max_chars=MAX_STYLE_CHARS)
            object.__setattr__(self, "style", style)
