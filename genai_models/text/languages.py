"""Which language a poem is written in, and how a Discord locale maps to one.

The bot's own replies come in the languages the catalogue has a file for
(`genai_models/locales/`). A poem, though, can be written in any language the chat model
knows, so a French user asking in French gets a French poem: `LANGUAGE_NAMES` covers every
locale Discord offers, keyed by the id `language_for_locale` returns.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "es"  # the source article is Spanish
FALLBACK_LANGUAGE = "en"  # for locales we do not recognise

# English names, because they go into the (English) instructions given to the model.
# Region is kept only where it changes the written language (Brazilian Portuguese, the two
# Chinese scripts); "es-419" and "en-GB" become plain "es" and "en".
LANGUAGE_NAMES: dict[str, str] = {
    "es": "Spanish",
    "en": "English",
    "bg": "Bulgarian",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "fi": "Finnish",
    "fr": "French",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "pt-BR": "Brazilian Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sv": "Swedish",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh-CN": "Simplified Chinese",
    "zh-TW": "Traditional Chinese",
}

# Locale spellings that do not reduce to a key above by dropping the region.
_ALIASES = {"nb": "no", "nn": "no", "zh": "zh-CN", "zh-HK": "zh-TW", "zh-Hant": "zh-TW"}
# Lower-cased tag -> language id: locale tags are case-insensitive ("pt-br" is "pt-BR").
_BY_TAG = {key.lower(): key for key in LANGUAGE_NAMES} | {
    alias.lower(): language for alias, language in _ALIASES.items()
}


def language_for_locale(locale: object) -> str:
    """The poem language for a locale such as Discord's "es-ES", "es-419", "en-US" or "fr".

    Accepts a string or anything whose `str()` is a locale tag (discord.Locale is). Unknown
    or missing locales give English, the language most users of an unknown locale can read.
    """
    if locale is None:
        return FALLBACK_LANGUAGE
    tag = str(locale).strip().replace("_", "-").lower()
    if tag in _BY_TAG:
        return _BY_TAG[tag]
    primary = tag.partition("-")[0]
    return _BY_TAG.get(primary, FALLBACK_LANGUAGE)


def language_name(language: str) -> str:
    """The English name of a poem language id (a key of LANGUAGE_NAMES)."""
    return LANGUAGE_NAMES[language]
