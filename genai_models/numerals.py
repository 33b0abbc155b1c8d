"""Numbers as each language writes them: 97.3% and 0.97 in English, 97,3 % and 0,97 in Spanish
(CLDR's patterns, through Babel). Every number a reader sees in a reply goes through these."""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal, format_percent


def decimal(value: float, language: str, digits: int) -> str:
    """`value` with exactly `digits` decimals: "104.8" / "104,8"."""
    value = round(value, digits)  # rounded as Python's own formatting rounds it (0.995 -> 0.99)
    return format_decimal(value, format="0." + "0" * digits if digits else "0", locale=_locale(language))


def number(value: float, language: str) -> str:
    """As many decimals as it has, up to three: "30", "2.5" / "2,5" (an operator's setting)."""
    return format_decimal(round(value, 3), format="0.###", locale=_locale(language))


def signed(value: float, language: str, digits: int) -> str:
    """`decimal` with its sign always written: "+0.7", "-1.4" / "+0,7", "-1,4"."""
    shown = decimal(value if round(value, digits) else 0.0, language, digits)  # never "-0.0"
    return shown if shown.startswith("-") else f"+{shown}"


def short_decimal(value: float, language: str) -> str:
    """At most one decimal, none when it is zero: "8.5", "8" / "8,5", "8"."""
    value = round(value, 1)
    return format_decimal(value, format="0.#", locale=_locale(language))


def percent(share: float, language: str, digits: int = 0) -> str:
    """`share` (0.973) as a percentage with `digits` decimals, spaced as the language spaces
    it: "97.3%" / "97,3 %"."""
    share = round(share, digits + 2)
    return format_percent(share, format=_percent_pattern(language, digits), locale=_locale(language))


@cache
def _percent_pattern(language: str, digits: int) -> str:
    pattern = _locale(language).percent_formats[None].pattern  # "#,##0%", "#,##0 %"
    return pattern.replace("0", "0." + "0" * digits, 1) if digits else pattern


@cache
def _locale(language: str) -> Locale:
    """The catalogue's language code ("es", "pt-BR") as Babel's locale; English for one CLDR
    does not know."""
    try:
        return Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")
