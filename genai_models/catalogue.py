"""Every text a user reads, in every language, read from one gettext `.po` file per language.

Why gettext `.po` (read with Babel) rather than Project Fluent: it is the format translators'
tools already open (Poedit, Weblate, Crowdin, Lokalise), it records a context and translator
notes per entry, and it has plural forms when a text needs them. The files are *monolingual*:
each `msgid` is a stable key ("topic_too_long", "poem.description"), never the English
sentence, so rewording the English in `en.po` (the source language) cannot orphan a
translation; Weblate and Crowdin call this "monolingual gettext" and take `en.po` as the base.

Texts are `str.format` templates (`#, python-brace-format`) filled with named parameters.
A key may have variants, `key:variant`, tried in file order after `key` itself: the first
template whose parameters are all known wins, so "try again in about {retry_after_s} s" can
degrade to "try again in a moment" when the wait is unknown.

A language is a file: `locales/<language>.po` (`es`, `pt-BR`, ...). Adding one needs no code.
A language that lacks a key falls back to English, as gettext falls back to the msgid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from genai_models.numerals import short_decimal

LOCALES_DIR = Path(__file__).parent / "locales"
SOURCE_LANGUAGE = "en"
VARIANT_SEPARATOR = ":"


class Catalogue:
    """The texts of every `<language>.po` file in one folder, looked up by key and language."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        if SOURCE_LANGUAGE not in texts:
            raise ValueError(f"a catalogue needs {SOURCE_LANGUAGE}.po, the source language")
        self._texts = {language: dict(entries) for language, entries in texts.items()}
        # Finding a key's variants scans its language's whole file; the texts never change
        # once read, so each (key, language) is scanned once (every reply renders several).
        self._found: dict[tuple[str, str], tuple[str, ...]] = {}

    @classmethod
    def from_dir(cls, folder: Path) -> Catalogue:
        texts = {}
        for path in sorted(folder.glob("*.po")):
            with path.open("rb") as file:
                catalog = read_po(file)
            # Fuzzy entries are a translator's unconfirmed guesses: gettext never serves them.
            texts[path.stem] = {
                message.id: message.string
                for message in catalog
                if message.id and message.string and not message.fuzzy
            }
        return cls(texts)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._texts)

    def keys(self, language: str) -> frozenset[str]:
        return frozenset(self._texts[language])

    def has(self, key: str, language: str) -> bool:
        """Whether `language`'s own file has a text (or a variant) for `key`."""
        return bool(self._templates(key, language))

    def templates(self, key: str, language: str) -> list[str]:
        """`language`'s templates for `key`: the key's own, then its variants in file order."""
        return list(self._templates(key, language))

    def render(self, key: str, language: str, params: Mapping[str, Any] | None = None) -> str:
        """The text `key` in `language` (English where it has none), filled with `params`.

        None and "" count as unknown parameters. Raises KeyError when no template of the key
        can be filled, or when the key is not in the catalogue at all.
        """
        known = {k: _display(v, language) for k, v in (params or {}).items() if v is not None and v != ""}
        templates = self._templates(key, language) or self._templates(key, SOURCE_LANGUAGE)
        if not templates:
            raise KeyError(f"no text for {key!r} in the catalogue")
        for template in templates:
            try:
                return template.format(**known)
            except (KeyError, IndexError):
                continue
        raise KeyError(f"text {key!r} ({language}) needs parameters not given: {sorted(known)}")

    def _templates(self, key: str, language: str) -> tuple[str, ...]:
        found = self._found.get((key, language))
        if found is None:
            entries = self._texts.get(language, {})
            prefix = key + VARIANT_SEPARATOR
            # dicts keep file order, so variants are tried in the order the translator wrote them
            own = [entries[key]] if key in entries else []
            found = tuple(own + [text for name, text in entries.items() if name.startswith(prefix)])
            self._found[key, language] = found
        return found


def base_key(key: str) -> str:
    """The key a variant belongs to: "rate_limited" for "rate_limited:minutes"."""
    return key.partition(VARIANT_SEPARATOR)[0]


def _display(value: Any, language: str) -> Any:
    if isinstance(value, float):  # seconds and megabytes read better without long decimals
        return math.ceil(value) if value >= 10 else short_decimal(value, language)
    return value


CATALOGUE = Catalogue.from_dir(LOCALES_DIR)


def english(key: str, **params: Any) -> str:
    """The English text `key`: what the CLI prints and what `str(GenAIError)` says."""
    return CATALOGUE.render(key, SOURCE_LANGUAGE, params)
