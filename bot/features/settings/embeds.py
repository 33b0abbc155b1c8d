"""What `/settings show` and `/preferences show` look like: each value, and where it comes from."""

from __future__ import annotations

from typing import Any

import discord

from bot.guild_rules.model import CAP, OPERATOR, GuildRules
from bot.interactions.embeds import EMBED_DESCRIPTION_LIMIT, clip
from bot.interactions.i18n import Lang, text
from genai_models.numerals import number

SETTINGS_COLOUR = discord.Colour.from_rgb(120, 120, 130)
SOURCE_KEYS = {CAP: "settings_source_cap", OPERATOR: "settings_source_operator"}


def shown(key: str, value: Any, lang: Lang) -> str:
    """One setting's value as a reader sees it (channels and roles as mentions, which an
    embed shows by name and never pings)."""
    if value is None or value == ():
        return text("settings_value_none", lang)
    if key.startswith("cooldown."):
        return f"{number(float(value), lang)} s"
    if key.endswith("_channels"):
        return ", ".join(f"<#{i}>" for i in value)
    if key.endswith("_roles") or key == "trainer_role":
        return ", ".join(f"<@&{i}>" for i in (value if isinstance(value, tuple | list) else [value]))
    if key == "poem_form":
        return text(f"form.{value}", lang)
    if key == "language":
        return text(f"language.{value}", lang)
    if key == "image_mark":
        return text("mark.on" if value else "mark.off", lang)
    if key == "trainers":
        return text(
            {"admins": "trainers.admins", "role": "trainers.role", "nobody": "trainers.nobody"}[value], lang
        )
    if key == "persona":
        return text("quoted", lang, text=discord.utils.escape_markdown(str(value)))
    return str(value)


def shown_change(key: str, old: Any, new: Any, lang: Lang) -> str:
    """A list's change as what joined it (+) and what left it (−): two full lists of up to 25
    mentions each, before and after, would not fit in one message."""
    before, after = list(old or ()), list(new or ())
    added = tuple(i for i in after if i not in before)
    removed = tuple(i for i in before if i not in after)
    parts = [f"+ {shown(key, added, lang)}"] if added else []
    parts += [f"− {shown(key, removed, lang)}"] if removed else []
    return " · ".join(parts) or shown(key, new, lang)


# Each setting's name in `/settings show`; the cooldowns share one, with the command's name.
NAME_KEYS = {
    "jobs_per_user": "setting.jobs_per_user",
    "allowed_channels": "settings_name_allowed_channels",
    "denied_channels": "settings_name_denied_channels",
    "allowed_roles": "settings_name_allowed_roles",
    "denied_roles": "settings_name_denied_roles",
    "persona": "setting.persona",
    "poem_form": "setting.poem_form",
    "language": "setting.language",
    "image_mark": "setting.image_mark",
    "trainers": "setting.trainers",
    "trainer_role": "settings_name_trainer_role",
}


def setting_name(key: str, lang: Lang) -> str:
    if key.startswith("cooldown."):
        return text("settings_name_cooldown", lang, command=key.partition(".")[2])
    return text(NAME_KEYS[key], lang)


def settings_embed(rules: GuildRules, lang: Lang) -> discord.Embed:
    lines = []
    for key, effective in rules.values.items():
        line = f"**{setting_name(key, lang)}**: {shown(key, effective.value, lang)}"
        source = SOURCE_KEYS.get(effective.source)
        lines.append(f"{line} · *{text(source, lang) if source else text('settings_source_server', lang)}*")
    return discord.Embed(
        title=text("settings_show_title", lang),
        description=clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        colour=SETTINGS_COLOUR,
    )


def preferences_embed(preferences: dict[str, Any], lang: Lang) -> discord.Embed:
    """A user's preferences; `lang` is the language they read here, named when they chose none
    ("not set" alone would not say which language that leaves them with)."""
    unset = {
        "language": text("preferences_language_unset", lang, language=text(f"language.{lang}", lang)),
        "poem_form": text("preferences_unset", lang),
    }
    lines = [
        f"**{text(NAME_KEYS[key], lang)}**: "
        + (shown(key, preferences[key], lang) if key in preferences else unset[key])
        for key in ("language", "poem_form")
    ]
    return discord.Embed(
        title=text("preferences_show_title", lang), description="\n".join(lines), colour=SETTINGS_COLOUR
    )
