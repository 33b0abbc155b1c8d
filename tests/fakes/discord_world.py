"""The little Discord world the stand-in serves: ids, users, guilds with one channel each.

Everything here builds plain JSON payloads shaped like Discord API v10 objects, with the fields
discord.py 2.7 reads when it builds `ClientUser`, `Guild`, `Member`, `TextChannel` and `AppInfo`.
No networking lives here; see discord_server.py for the usage guide.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Bits of discord.Permissions, spelled out so the fake does not need discord.py to build payloads.
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
ADD_REACTIONS = 1 << 6
MANAGE_GUILD = 1 << 5  # "Manage Server": who may steer training from chat
#: What a freshly invited bot typically holds in a text channel; sent as `app_permissions`.
DEFAULT_APP_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | ADD_REACTIONS
)
#: An ordinary member's permissions (no administrator, no manage_*).
MEMBER_PERMISSIONS = DEFAULT_APP_PERMISSIONS
#: Discord's default upload limit for a guild without boosts (10 MiB).
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class SnowflakeFactory:
    """Unique, increasing Discord ids whose timestamps are 'now' (discord.py derives created_at)."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        now = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(self._last + 1, now)
        return self._last


def new_token(prefix: str = "") -> str:
    """A random token as long as Discord's (discord.py's webhook regex wants 60+ characters)."""
    return prefix + secrets.token_urlsafe(48)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class FakeUser:
    """A Discord user of the stand-in world; `locale` is what their interactions carry."""

    id: int
    username: str
    locale: str = "en-US"
    bot: bool = False
    roles: tuple[int, ...] = ()  # role ids of the guild's roles (see DiscordWorld.add_role)

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.username.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    def member_payload(self, *, permissions: int | None = None) -> dict[str, Any]:
        """A guild member object; `permissions` is only present in interaction payloads."""
        data: dict[str, Any] = {
            "user": self.to_payload(),
            "roles": [str(role) for role in self.roles],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
        }
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass(frozen=True)
class FakeGuild:
    """A guild of the stand-in world with its one text channel; every user is a member."""

    id: int
    channel_id: int
    name: str
    locale: str = "en-US"

    def shard(self, shard_count: int) -> int:
        """The gateway shard Discord sends this guild's events to."""
        return (self.id >> 22) % max(shard_count, 1)


@dataclass
class DiscordWorld:
    """One bot application, its guilds (each with one text channel), and two human members.

    `alice` is the usual requester, `bob` the 'someone else' who presses other people's buttons.
    Add more people with `add_user`, more guilds with `add_guild`. `guild_id` and `channel_id`
    are the first guild's, where interactions go unless told otherwise.
    """

    ids: SnowflakeFactory = field(default_factory=SnowflakeFactory)
    bot_name: str = "GenAI Bot"
    guild_name: str = "Stand-in Guild"
    guild_locale: str = "en-US"
    # What each interaction tells the bot it may upload (a boosted guild's is larger).
    attachment_size_limit: int = ATTACHMENT_SIZE_LIMIT
    bot_user: FakeUser = field(init=False)
    owner: FakeUser = field(init=False)
    alice: FakeUser = field(init=False)
    bob: FakeUser = field(init=False)
    users: dict[int, FakeUser] = field(init=False, default_factory=dict)
    roles: dict[int, str] = field(init=False, default_factory=dict)  # besides @everyone
    guilds: dict[int, FakeGuild] = field(init=False, default_factory=dict)
    # Guilds that never added the bot: only a user-installed app is used there.
    foreign_guilds: dict[int, FakeGuild] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.bot_user = FakeUser(self.ids(), "genai-bot", bot=True)
        self.owner = self.add_user("owner")
        self.alice = self.add_user("alice")
        self.bob = self.add_user("bob", locale="es-ES")
        self.add_guild(self.guild_name, locale=self.guild_locale)
        self.users[self.bot_user.id] = self.bot_user

    @property
    def guild(self) -> FakeGuild:
        """The first guild: the one interactions go to unless told otherwise."""
        return next(iter(self.guilds.values()))

    @property
    def guild_id(self) -> int:
        return self.guild.id

    @property
    def channel_id(self) -> int:
        return self.guild.channel_id

    def add_guild(
        self, name: str | None = None, *, locale: str = "en-US", on_shard: tuple[int, int] | None = None
    ) -> FakeGuild:
        """A new guild; `on_shard=(shard_id, shard_count)` draws ids until it falls on that shard."""
        guild_id = self.ids()
        if on_shard is not None:
            shard_id, shard_count = on_shard
            while (guild_id >> 22) % shard_count != shard_id:
                guild_id = self.ids()
        guild = FakeGuild(guild_id, self.ids(), name or f"Stand-in Guild {len(self.guilds) + 1}", locale)
        self.guilds[guild.id] = guild
        return guild

    def add_foreign_guild(self, name: str = "Elsewhere", *, locale: str = "en-US") -> FakeGuild:
        """A guild the bot was never added to (no GUILD_CREATE, no REST access): its members
        reach the bot only through their own user install."""
        guild = FakeGuild(self.ids(), self.ids(), name, locale)
        self.foreign_guilds[guild.id] = guild
        return guild

    def find_guild(self, guild_id: int) -> FakeGuild | None:
        """A guild by id, whether the bot is in it or not."""
        return self.guilds.get(guild_id) or self.foreign_guilds.get(guild_id)

    def move_guild_to_shard(self, guild: FakeGuild, shard_id: int, shard_count: int) -> FakeGuild:
        """Give `guild` new ids on `shard_id` (before any bot connects); the first stays first."""
        ids = self.ids()
        while (ids >> 22) % shard_count != shard_id:
            ids = self.ids()
        moved = FakeGuild(ids, self.ids(), guild.name, guild.locale)
        self.guilds = {
            (moved.id if k == guild.id else k): (moved if k == guild.id else g)
            for k, g in self.guilds.items()
        }
        return moved

    def guild_of_channel(self, channel_id: int) -> FakeGuild | None:
        return next((g for g in self.guilds.values() if g.channel_id == channel_id), None)

    @property
    def application_id(self) -> int:
        # Bots created since 2020 share their id with their application.
        return self.bot_user.id

    def add_user(self, username: str, *, locale: str = "en-US", roles: tuple[int, ...] = ()) -> FakeUser:
        user = FakeUser(self.ids(), username, locale=locale, roles=roles)
        self.users[user.id] = user
        return user

    def add_role(self, name: str) -> int:
        """A guild role (sent in GUILD_CREATE, so add it before the bot connects); its id."""
        role_id = self.ids()
        self.roles[role_id] = name
        return role_id

    def role_payload(
        self, role_id: int, name: str, position: int, guild: FakeGuild | None = None
    ) -> dict[str, Any]:
        """A role added with `add_role`; every guild of the world has it."""
        return self.everyone_role_payload(guild) | {"id": str(role_id), "name": name, "position": position}

    def humans(self) -> list[FakeUser]:
        return [u for u in self.users.values() if not u.bot]

    # ---- payloads -------------------------------------------------------------------------

    def application_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_name,
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner.to_payload(),
            "verify_key": "0" * 64,
            "flags": 1 << 19,  # GATEWAY_MESSAGE_CONTENT_LIMITED
            "team": None,
            "summary": "",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds),
        }

    def channel_payload(self, guild: FakeGuild | None = None) -> dict[str, Any]:
        guild = guild or self.guild
        return {
            "id": str(guild.channel_id),
            "type": 0,
            "guild_id": str(guild.id),
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "last_message_id": None,
        }

    def everyone_role_payload(self, guild: FakeGuild | None = None) -> dict[str, Any]:
        return {
            "id": str((guild or self.guild).id),
            "name": "@everyone",
            "color": 0,
            "hoist": False,
            "position": 0,
            "permissions": str(MEMBER_PERMISSIONS),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def guild_payload(self, guild: FakeGuild | None = None, *, with_members: bool = True) -> dict[str, Any]:
        """The GUILD_CREATE body: the guild (default: the first) with its channel and roles.

        Without the GUILD_MEMBERS intent Discord lists only the bot's own member.
        """
        guild = guild or self.guild
        members = [
            u.member_payload() for u in self.users.values() if with_members or u.id == self.bot_user.id
        ]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(self.owner.id),
            "preferred_locale": guild.locale,
            "features": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_flags": 0,
            "afk_timeout": 300,
            "large": False,
            "unavailable": False,
            "member_count": len(self.users),
            "joined_at": "2024-01-01T00:00:00+00:00",
            "roles": [self.everyone_role_payload(guild)]
            + [
                self.role_payload(role_id, name, position, guild)
                for position, (role_id, name) in enumerate(self.roles.items(), start=1)
            ],
            "emojis": [],
            "stickers": [],
            "channels": [self.channel_payload(guild)],
            "threads": [],
            "members": members,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def ready_payload(
        self, *, session_id: str, resume_url: str, shard: list[int] | None, guilds: list[FakeGuild]
    ) -> dict:
        """READY for one shard: it lists (as unavailable) only the guilds that shard serves."""
        guilds = [{"id": str(g.id), "unavailable": True} for g in guilds]
        data: dict[str, Any] = {
            "v": 10,
            "user": self.bot_user.to_payload() | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": guilds,
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": resume_url,
            "application": {"id": str(self.application_id), "flags": 1 << 19},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "guild_join_requests": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["stand-in"],
        }
        if shard is not None:
            data["shard"] = shard
        return data

    def guild_shard(self, shard_count: int) -> int:
        """The shard of the first guild."""
        return self.guild.shard(shard_count)

    def guilds_on_shard(self, shard_id: int, shard_count: int) -> list[FakeGuild]:
        return [g for g in self.guilds.values() if g.shard(shard_count) == shard_id]
