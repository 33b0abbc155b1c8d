"""What each server may set, within which bounds, and the effective values with their source.

Plain data and checks: no discord.py, no database. The operator's environment gives each
setting its default and its bound (`OperatorBounds`); a server's stored choice overrides the
default within the bound; `resolve` turns both into the `GuildRules` a command reads.

Bounds, in words: a server may lengthen a cooldown but not shorten it below the operator's
(cooldowns protect the operator's CPU and text-service bill), and may lower jobs per user but
not raise it above the operator's. The operator's allow and deny lists always apply; a
server's lists can only narrow where the bot answers further.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.exceptions import OptionValueError
from bot.fair_use.access import NOT_HERE, NOT_WITH_YOUR_ROLES
from bot.fair_use.limits import COMMAND_RESOURCES
from genai_models.text.prompts import DEFAULT_FORM, FORMS
from genai_models.text.request import clean_topic, is_visible

MAX_COOLDOWN_S = 86_400.0  # a day: longer reads as "off", which the channel lists say better
MAX_PERSONA_CHARS = 200  # a sentence or two of style; far too short to carry a second prompt
MAX_LISTED = 25  # channels or roles per list: Discord's own cap on a select's options
REPLY_LANGUAGES = ("en", "es")  # the catalogue's languages (genai_models/locales)
TRAINERS = ("admins", "role", "nobody")

# Where an effective value comes from, as `/settings show` names it.
SERVER, OPERATOR, CAP = "server", "operator", "cap"

LISTS = ("allowed_channels", "denied_channels", "allowed_roles", "denied_roles")
COOLDOWN_KEYS = tuple(f"cooldown.{command}" for command in COMMAND_RESOURCES)
GUILD_KEYS = (
    *COOLDOWN_KEYS,
    "jobs_per_user",
    *LISTS,
    "persona",
    "poem_form",
    "language",
    "image_mark",
    "trainers",
    "trainer_role",
)
PREFERENCE_KEYS = ("language", "poem_form")


@dataclass(frozen=True, kw_only=True)
class OperatorBounds:
    """The environment's part: defaults, and the bounds no server can pass."""

    cooldowns_s: Mapping[str, float] = field(default_factory=dict)  # default and floor
    jobs_per_user: int = 2  # default and cap
    image_mark: bool = True
    language: str = "en"
    poem_form: str = DEFAULT_FORM


@dataclass(frozen=True)
class Effective:
    value: Any
    source: str  # SERVER, OPERATOR or CAP (the server chose past a bound the operator moved)


@dataclass(frozen=True)
class GuildRules:
    """One server's effective settings (None guild: a DM, where only operator values apply)."""

    guild_id: int | None
    values: Mapping[str, Effective]

    def __getitem__(self, key: str) -> Any:
        return self.values[key].value

    def cooldown_s(self, command: str) -> float:
        return float(self[f"cooldown.{command}"])

    def cooldown_key(self, command: str) -> str:
        """What the cooldown is counted under: a server's own cooldown counts in that server
        only (a stricter server must not slow its members down elsewhere); the operator's,
        across all servers."""
        if self.values[f"cooldown.{command}"].source == SERVER:
            return f"{command}@{self.guild_id}"
        return command

    @property
    def jobs_per_user(self) -> int:
        return int(self["jobs_per_user"])

    @property
    def persona(self) -> str | None:
        return self["persona"]

    @property
    def poem_form(self) -> str:
        return self["poem_form"]

    @property
    def language(self) -> str:
        return self["language"]

    @property
    def image_mark(self) -> bool:
        return bool(self["image_mark"])

    def keeps_out(self, channel_id: int | None, role_ids: set[int]) -> str | None:
        """None when the server's own lists let a member in; else why not (NOT_HERE: the channel,
        or NOT_WITH_YOUR_ROLES). A deny wins; an allow list, when set, must name the channel (or
        one of the member's roles)."""
        if channel_id in self["denied_channels"]:
            return NOT_HERE
        if self["allowed_channels"] and channel_id not in self["allowed_channels"]:
            return NOT_HERE
        if role_ids & set(self["denied_roles"]):
            return NOT_WITH_YOUR_ROLES
        if self["allowed_roles"] and not role_ids & set(self["allowed_roles"]):
            return NOT_WITH_YOUR_ROLES
        return None

    def may_train(self, *, manages_server: bool, role_ids: set[int]) -> bool:
        """Who may run /train and /model rollback here (the bot's owners always may)."""
        who = self["trainers"]
        if who == "nobody":
            return False
        if who == "role":
            return manages_server or self["trainer_role"] in role_ids
        return manages_server


def operator_values(bounds: OperatorBounds) -> dict[str, Any]:
    values: dict[str, Any] = {
        f"cooldown.{command}": float(bounds.cooldowns_s.get(command, 0.0)) for command in COMMAND_RESOURCES
    }
    values |= dict.fromkeys(LISTS, ())
    values |= {
        "jobs_per_user": bounds.jobs_per_user,
        "persona": None,
        "poem_form": bounds.poem_form,
        "language": bounds.language,
        "image_mark": bounds.image_mark,
        "trainers": "admins",
        "trainer_role": None,
    }
    return values


def resolve(stored: Mapping[str, Any], bounds: OperatorBounds, guild_id: int | None) -> GuildRules:
    """The effective rules: the server's value where it chose one (held to the operator's
    bound, if the operator moved it since), else the operator's."""
    defaults = operator_values(bounds)
    values = {}
    for key, default in defaults.items():
        if key not in stored:
            values[key] = Effective(default, OPERATOR)
            continue
        value = stored[key]
        if key.startswith("cooldown.") and float(value) < default:
            values[key] = Effective(default, CAP)
        elif key == "jobs_per_user" and int(value) > default:
            values[key] = Effective(default, CAP)
        elif key in LISTS:
            values[key] = Effective(tuple(int(i) for i in value), SERVER)
        else:
            values[key] = Effective(value, SERVER)
    return GuildRules(guild_id, values)


def check_persona(raw: str) -> str:
    """The persona cleaned like a topic (no control or bidi characters, one line), bounded."""
    persona = clean_topic(raw)
    if not is_visible(persona):
        raise OptionValueError(code="option_length", option="text", minimum=1, maximum=MAX_PERSONA_CHARS)
    if len(persona) > MAX_PERSONA_CHARS:
        raise OptionValueError(code="option_length", option="text", minimum=1, maximum=MAX_PERSONA_CHARS)
    return persona


def check_cooldown(command: str, seconds: float, bounds: OperatorBounds, *, option: str) -> float:
    floor = float(bounds.cooldowns_s.get(command, 0.0))
    if not floor <= seconds <= MAX_COOLDOWN_S:
        raise OptionValueError(
            code="option_range", option=option, minimum=_shown(floor), maximum=_shown(MAX_COOLDOWN_S)
        )
    return float(seconds)


def check_jobs_per_user(count: int, bounds: OperatorBounds, *, option: str) -> int:
    if not 1 <= count <= bounds.jobs_per_user:
        raise OptionValueError(code="option_range", option=option, minimum=1, maximum=bounds.jobs_per_user)
    return int(count)


def check_choice(value: str, choices: tuple[str, ...], *, option: str) -> str:
    if value not in choices:
        raise OptionValueError(code="option_choice", option=option)
    return value


def check_form(value: str, *, option: str) -> str:
    return check_choice(value, FORMS, option=option)


def _shown(number: float):
    return int(number) if float(number).is_integer() else number
