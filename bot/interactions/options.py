"""Option values checked against the very definitions the bot publishes, before any work.

Discord's client refuses a value outside a command's advertised limits, but a stale client (the
command changed since it cached it) or a forged request can still send one: a negative seed, a
boolean where a count goes, a word where a digit goes, a required option left out. Checking them
here, from the command's own parameters, means the bot enforces exactly what it advertises and
the user reads the same kind of sentence the client would have shown, not a logged traceback.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.enums import AppCommandOptionType

from bot.exceptions import OptionValueError

_PYTHON_TYPES: dict[AppCommandOptionType, tuple[type, ...]] = {
    AppCommandOptionType.string: (str,),
    AppCommandOptionType.integer: (int,),
    AppCommandOptionType.number: (int, float),
    AppCommandOptionType.boolean: (bool,),
}
_SNOWFLAKE_TYPES = {
    AppCommandOptionType.user: "users",
    AppCommandOptionType.channel: "channels",
    AppCommandOptionType.role: "roles",
    AppCommandOptionType.mentionable: None,
    AppCommandOptionType.attachment: "attachments",
}


def check_options(interaction: discord.Interaction) -> None:
    """Raise OptionValueError for the first option value the command does not accept."""
    command = interaction.command
    if not isinstance(command, app_commands.Command):
        return  # context menus and unknown commands: discord.py and bot.interactions.errors answer those
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    given = _leaf_options(data.get("options", []))
    resolved = data.get("resolved", {})
    parameters = {p.display_name: p for p in command.parameters}
    for name in given:
        if name not in parameters:
            raise OptionValueError(code="option_unknown", option=name)
    for name, parameter in parameters.items():
        if name not in given:
            if parameter.required:
                raise OptionValueError(code="option_missing", option=name)
            continue
        _check(parameter, given[name], resolved)


def _leaf_options(options: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The options of the subcommand that runs (groups nest them), by name."""
    for option in options:
        if option.get("type") in (1, 2):  # a subcommand or group: its options are the real ones
            return _leaf_options(option.get("options", []))
    return {option.get("name", ""): option for option in options}


def _check(parameter: app_commands.Parameter, option: dict[str, Any], resolved: dict) -> None:
    name, kind, value = parameter.display_name, parameter.type, option.get("value")
    if option.get("type") != kind.value:
        raise OptionValueError(code="option_invalid", option=name)
    if kind in _SNOWFLAKE_TYPES:
        bucket = _SNOWFLAKE_TYPES[kind]
        if not isinstance(value, str) or (bucket and value not in resolved.get(bucket, {})):
            raise OptionValueError(code="option_invalid", option=name)
        return
    expected = _PYTHON_TYPES.get(kind, (object,))
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        raise OptionValueError(code="option_invalid", option=name)
    if parameter.choices and value not in [choice.value for choice in parameter.choices]:
        raise OptionValueError(code="option_choice", option=name)
    low, high = parameter.min_value, parameter.max_value
    if kind is AppCommandOptionType.string:
        length = len(value)
        if (low is not None and length < low) or (high is not None and length > high):
            raise OptionValueError(
                code="option_length", option=name, minimum=_shown(low, 0), maximum=_shown(high, 6000)
            )
    elif (low is not None and value < low) or (high is not None and value > high):
        raise OptionValueError(
            code="option_range", option=name, minimum=_shown(low, "…"), maximum=_shown(high, "…")
        )


def _shown(limit, default):
    if limit is None:
        return default
    return int(limit) if float(limit).is_integer() else limit
