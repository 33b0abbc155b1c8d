"""INTERACTION_CREATE payloads as Discord builds them: slash commands, components, modal submits.

Where the app is installed (to the guild or to the user) and where it is used (a guild, the
bot's DM, other people's DMs) travel as Discord sends them: `authorizing_integration_owners`,
`context`, `app_permissions`; a command is only offered where its synced `integration_types`
and `contexts` allow (`check_availability`).

Option values are typed from the command definition the bot synced (so a test writes
`{"digit": 3}` and the payload says type 4, integer), and checked the way Discord's own client
checks them before sending: required options present, choices and min/max respected. A test that
wants to see what the bot does with an impossible value can pass `check=False`.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from tests.fakes.discord_messages import MessageStore, UploadedFile, iter_components
from tests.fakes.discord_world import (
    DEFAULT_APP_PERMISSIONS,
    MEMBER_PERMISSIONS,
    DiscordWorld,
    FakeGuild,
    FakeUser,
    new_token,
)

SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER = 1, 2, 3, 4, 5, 6
CHANNEL, ROLE, NUMBER, ATTACHMENT = 7, 8, 10, 11
APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT = 2, 3, 5


@dataclass(frozen=True)
class Upload:
    """A file a user attaches to a slash command's attachment option."""

    filename: str
    data: bytes
    content_type: str | None = None  # guessed from the filename when None

    def as_uploaded(self) -> UploadedFile:
        guessed = mimetypes.guess_type(self.filename)[0] or "application/octet-stream"
        return UploadedFile("user-upload", self.filename, self.content_type or guessed, self.data)


class InvalidInteraction(ValueError):
    """The test asked for an interaction Discord's client would never send."""


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, Upload):
        return ATTACHMENT
    if isinstance(value, FakeUser):
        return USER
    return STRING


def _check_value(definition: dict[str, Any], value: Any) -> None:
    name = definition["name"]
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise InvalidInteraction(f"option {name!r}: {value!r} is not one of the choices")
    low, high = definition.get("min_value"), definition.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInteraction(f"option {name!r}: {value!r} outside [{low}, {high}]")
    low, high = definition.get("min_length"), definition.get("max_length")
    if isinstance(value, str) and (
        (low is not None and len(value) < low) or (high is not None and len(value) > high)
    ):
        raise InvalidInteraction(f"option {name!r}: length {len(value)} outside [{low}, {high}]")


class InteractionBuilder:
    """Builds INTERACTION_CREATE `d` payloads for the stand-in world."""

    def __init__(self, world: DiscordWorld, store: MessageStore) -> None:
        self.world = world
        self.store = store
        self._dm_channels: dict[int, int] = {}

    def base(
        self,
        kind: int,
        *,
        user: FakeUser,
        locale: str | None,
        guild_locale: str | None,
        app_permissions: int | None,
        in_dm: bool,
        guild: FakeGuild | None = None,
        member_permissions: int | None = None,
        installed_by: str = "guild",
        private_channel: bool = False,
    ) -> dict[str, Any]:
        """Fields every interaction carries: fresh id and token, locales, permissions, place
        (`guild`'s channel; default: the world's first guild).

        `member_permissions`: the invoking member's (default: an ordinary member's).
        `installed_by`: "guild" (the server added the bot) or "user" (the user installed the
        app to their account); Discord says which in `authorizing_integration_owners`: key "0"
        (guild install) maps to the guild's id ("0" in the bot's DM), key "1" (user install) to
        the user's. `context` is 0 in a guild, 1 in the bot's DM, 2 in a private channel (a
        DM between users or a group DM: `private_channel`, reached only by a user install).
        """
        if installed_by not in ("guild", "user"):
            raise InvalidInteraction(f"installed_by is 'guild' or 'user', not {installed_by!r}")
        if private_channel and installed_by != "user":
            raise InvalidInteraction("only a user-installed app is used in other people's DMs")
        if guild is not None and guild.id in self.world.foreign_guilds and installed_by != "user":
            raise InvalidInteraction(f"the bot is not in {guild.name}: only a user install works")
        world = self.world
        payload: dict[str, Any] = {
            "id": str(world.ids()),
            "application_id": str(world.application_id),
            "type": kind,
            "token": new_token("aW50ZXJhY3Rpb246"),
            "version": 1,
            "locale": locale or user.locale,
            "app_permissions": str(DEFAULT_APP_PERMISSIONS if app_permissions is None else app_permissions),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": world.attachment_size_limit,
        }
        if in_dm or private_channel:
            if private_channel:  # a DM between the user and someone else, not the bot
                channel_id = world.ids()
                recipients = [
                    user.to_payload(),
                    world.bob.to_payload() if user is not world.bob else world.alice.to_payload(),
                ]
            else:
                channel_id = self._dm_channels.setdefault(user.id, world.ids())
                recipients = [user.to_payload()]
            owners = {"1": str(user.id)} if installed_by == "user" else {"0": "0"}
            payload |= {
                "channel_id": str(channel_id),
                "channel": {
                    "id": str(channel_id),
                    "type": 1,
                    "flags": 0,
                    "recipients": recipients,
                    "last_message_id": None,
                },
                "user": user.to_payload(),
                "context": 2 if private_channel else 1,
                "authorizing_integration_owners": owners,
            }
            return payload
        guild = guild or world.guild
        guild_locale = guild_locale or guild.locale
        member = MEMBER_PERMISSIONS if member_permissions is None else member_permissions
        payload |= {
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": guild_locale, "features": []},
            "guild_locale": guild_locale,
            "channel_id": str(guild.channel_id),
            "channel": world.channel_payload(guild) | {"permissions": str(member)},
            "member": user.member_payload(permissions=member),
            "context": 0,
            "authorizing_integration_owners": (
                {"1": str(user.id)} if installed_by == "user" else {"0": str(guild.id)}
            ),
        }
        return payload

    # ---- slash commands -------------------------------------------------------------------

    def command_data(
        self, name: str, options: dict[str, Any], definition: dict | None, *, channel_id: int, check: bool
    ) -> dict[str, Any]:
        """The `data` of a type 2 interaction; `name` may be "group sub" for subcommands."""
        top, *path = name.split()
        resolved: dict[str, Any] = {}
        data: dict[str, Any] = {
            "id": str((definition or {}).get("id") or self.world.ids()),
            "name": top,
            "type": 1,
        }
        if definition and definition.get("guild_id"):
            data["guild_id"] = definition["guild_id"]
        # Walk "group sub" down the synced definition: each level's type and the leaf's options.
        definitions = definition.get("options", []) if definition else None
        levels = []
        for part in path:
            node = next((d for d in definitions or [] if d["name"] == part), None)
            if definitions is not None and node is None:
                raise InvalidInteraction(f"/{name}: no subcommand {part!r}")
            levels.append((part, node["type"] if node else SUB_COMMAND))
            definitions = node.get("options", []) if node else None
        built = self._options(options, definitions, resolved, channel_id=channel_id, check=check)
        for part, kind in reversed(levels):
            built = [{"name": part, "type": kind, "options": built}]
        if built:
            data["options"] = built
        if resolved:
            data["resolved"] = resolved
        return data

    def _options(
        self,
        given: dict[str, Any],
        definitions: list[dict] | None,
        resolved: dict[str, Any],
        *,
        channel_id: int,
        check: bool,
    ) -> list[dict]:
        by_name = {d["name"]: d for d in definitions or [] if d["type"] not in (1, 2)}
        if check and definitions is not None:
            unknown = set(given) - set(by_name)
            missing = [n for n, d in by_name.items() if d.get("required") and n not in given]
            if unknown or missing:
                raise InvalidInteraction(
                    f"unknown options {sorted(unknown)}, missing required {missing}; "
                    f"the synced command has {list(by_name)}"
                )
        options = []
        for name, value in given.items():
            definition = by_name.get(name, {"name": name})
            kind = definition.get("type") or _infer_type(value)
            if kind == ATTACHMENT:
                value = self._attach(value, resolved, channel_id)
            elif kind == USER:
                value = self._resolve_user(value, resolved)
            elif kind == CHANNEL:
                value = self._resolve_channel(value, resolved)
            elif kind == ROLE:
                value = self._resolve_role(value, resolved)
            else:
                value = {INTEGER: int, NUMBER: float, BOOLEAN: bool}.get(kind, str)(value)
                if check:
                    _check_value(definition, value)
            options.append({"name": name, "type": kind, "value": value})
        return options

    def _attach(self, value: Any, resolved: dict[str, Any], channel_id: int) -> str:
        if not isinstance(value, Upload):
            raise InvalidInteraction(f"attachment options take an Upload, not {type(value)}")
        attachment = self.store.add_upload(
            value.as_uploaded(), channel_id=channel_id, ephemeral=True, enforce_limit=False
        )
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return attachment["id"]

    def _resolve_user(self, value: Any, resolved: dict[str, Any]) -> str:
        user = value if isinstance(value, FakeUser) else self.world.users[int(value)]
        resolved.setdefault("users", {})[str(user.id)] = user.to_payload()
        member = user.member_payload(permissions=MEMBER_PERMISSIONS)
        member.pop("user")
        resolved.setdefault("members", {})[str(user.id)] = member
        return str(user.id)

    def _resolve_channel(self, value: Any, resolved: dict[str, Any]) -> str:
        """A channel picked in the client's picker: a FakeGuild (its channel) or a channel id."""
        guild = value if isinstance(value, FakeGuild) else self.world.guild_of_channel(int(value))
        if guild is None:
            raise InvalidInteraction(f"no channel {value!r} in the stand-in world")
        channel = self.world.channel_payload(guild)
        resolved.setdefault("channels", {})[channel["id"]] = {
            key: channel[key] for key in ("id", "type", "name", "guild_id", "parent_id")
        } | {"permissions": str(MEMBER_PERMISSIONS)}
        return channel["id"]

    def _resolve_role(self, value: Any, resolved: dict[str, Any]) -> str:
        """A role picked in the client's picker: an id from `add_role`."""
        role_id = int(value)
        if role_id not in self.world.roles:
            raise InvalidInteraction(f"no role {role_id} in the stand-in world")
        position = list(self.world.roles).index(role_id) + 1
        role = self.world.role_payload(role_id, self.world.roles[role_id], position)
        resolved.setdefault("roles", {})[str(role_id)] = role
        return str(role_id)

    # ---- components and modals ------------------------------------------------------------

    @staticmethod
    def check_availability(definition: dict[str, Any], *, installed_by: str, context: int) -> None:
        """Refuse what Discord's client would not offer: a command whose synced definition
        leaves out this installation type (0 guild, 1 user) or this context."""
        name = definition["name"]
        kinds = definition.get("integration_types") or [0]
        if {"guild": 0, "user": 1}[installed_by] not in kinds:
            raise InvalidInteraction(
                f"/{name} is not offered to a {installed_by} install (integration_types {kinds})"
            )
        contexts = definition.get("contexts")
        if contexts is not None and context not in contexts:
            raise InvalidInteraction(f"/{name} is not offered in context {context} (contexts {contexts})")

    @staticmethod
    def find_component(message: dict[str, Any], custom_id: str) -> dict[str, Any]:
        for _, component in iter_components(message.get("components") or []):
            if component.get("custom_id") == custom_id:
                return component
        present = [
            c.get("custom_id")
            for _, c in iter_components(message.get("components") or [])
            if c.get("custom_id")
        ]
        raise InvalidInteraction(f"message {message['id']} has no component {custom_id!r}; it has {present}")

    @staticmethod
    def component_data(component: dict[str, Any], values: list[str] | None) -> dict[str, Any]:
        data = {"custom_id": component["custom_id"], "component_type": component["type"]}
        if component["type"] != 2:  # selects carry the picked values
            data["values"] = list(values or [])
        return data

    @staticmethod
    def modal_components(modal: dict[str, Any], values: dict[str, Any]) -> list[dict]:
        """Submitted components shaped like the modal the bot opened (action rows or labels)."""

        def filled(component: dict[str, Any]) -> dict[str, Any]:
            value = values.get(component.get("custom_id"), component.get("value") or "")
            entry = {"type": component["type"], "custom_id": component["custom_id"]}
            entry["values" if isinstance(value, list) else "value"] = value
            return entry

        submitted = []
        for top in modal.get("components", []):
            if top.get("type") == 1:
                submitted.append(
                    {"type": 1, "components": [filled(c) for c in top["components"] if c.get("custom_id")]}
                )
            elif top.get("type") == 18 and top.get("component", {}).get("custom_id"):
                submitted.append({"type": 18, "component": filled(top["component"])})
        return submitted

    @staticmethod
    def check_modal_values(modal: dict[str, Any], values: dict[str, Any]) -> None:
        """Refuse what Discord's client would not submit: unknown fields, a required field left
        empty, a text outside the field's min/max length."""
        inputs = {}
        for top in modal.get("components", []):
            for component in top.get("components", []) or [top.get("component") or {}]:
                if component.get("type") == 4:
                    inputs[component["custom_id"]] = component
        unknown = set(values) - set(inputs)
        if unknown:
            raise InvalidInteraction(f"modal has no fields {sorted(unknown)}; it has {list(inputs)}")
        for custom_id, field in inputs.items():
            value = str(values.get(custom_id, ""))
            if field.get("required", True) and not value:
                raise InvalidInteraction(f"modal field {custom_id!r} is required")
            low, high = field.get("min_length"), field.get("max_length")
            if value and ((low is not None and len(value) < low) or (high is not None and len(value) > high)):
                raise InvalidInteraction(
                    f"modal field {custom_id!r}: length {len(value)} outside [{low}, {high}]"
                )
