"""Every server its own rules: per-server settings and per-user preferences, from the database.

    model.py   which settings exist, their bounds (the operator's environment), effective values
    store.py   reading and changing them, each change audited and the settings version bumped
    cache.py   ServerRules: what commands read, from memory, cleared when anything changes

The Discord layer (bot.interactions.server_context) loads an interaction's rules and its
user's preferences once, at admission, and every command reads them from there.
"""

from bot.guild_rules.cache import ServerRules
from bot.guild_rules.model import GuildRules, OperatorBounds
from bot.guild_rules.store import SettingsStore

__all__ = ["GuildRules", "OperatorBounds", "ServerRules", "SettingsStore"]
