"""Who the bot answers where: the allow and deny lists (guilds, channels, roles), and its admins."""

from __future__ import annotations

import discord

from bot.fair_use.limits import AccessLists


def is_admin(interaction: discord.Interaction, owner_ids: frozenset[int]) -> bool:
    """The bot's admins: its owners (GENAI_OWNER_IDS) and members who may manage the server
    (Discord's Manage Server permission as resolved for this interaction; none in DMs). They
    may /train and roll models back, and fair use exempts them from cooldowns and user limits.
    Only in a server that installed the bot: a server's admin using their own install of the
    app there is one more user."""
    if interaction.user.id in owner_ids:
        return True
    return interaction.is_guild_integration() and interaction.permissions.manage_guild


# Why a list keeps someone out, as FairUseError codes: the place (another channel may do), or
# their roles (no channel will).
NOT_HERE, NOT_WITH_YOUR_ROLES = "not_allowed_here", "not_allowed_role"


def kept_out_here(interaction: discord.Interaction, lists: AccessLists) -> str | None:
    """None when the operator's lists let this interaction in; else why not (NOT_HERE or
    NOT_WITH_YOUR_ROLES). Deny lists win; an allow list, when set, must name the guild /
    channel / one role.

    Direct messages have no guild, channel list entry or roles: a guild or role allow list
    keeps the bot out of them, since those lists mean "only in these communities".
    """
    guild_id = interaction.guild_id
    channel_id = interaction.channel_id
    roles = {role.id for role in getattr(interaction.user, "roles", ())}
    if guild_id in lists.denied_guilds or channel_id in lists.denied_channels:
        return NOT_HERE
    if lists.allowed_guilds and guild_id not in lists.allowed_guilds:
        return NOT_HERE
    if lists.allowed_channels and channel_id not in lists.allowed_channels:
        return NOT_HERE
    if roles & lists.denied_roles or (lists.allowed_roles and not roles & lists.allowed_roles):
        return NOT_WITH_YOUR_ROLES
    return None
