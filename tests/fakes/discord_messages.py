"""Messages the stand-in stores: creation, edits, uploads, and Discord's validation limits.

Bots under test write messages through interaction callbacks, webhook follow-ups and edits; all of
them end up here. Limits are enforced the way Discord enforces them (HTTP 400 with an "Invalid
Form Body" error tree), so a bot that sends 2,001 characters fails in tests as it would live.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.fakes.discord_world import ATTACHMENT_SIZE_LIMIT, DiscordWorld, FakeUser, iso_now

EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_EMBEDS = 1 << 2
COMPONENTS_V2 = 1 << 15

CONTENT_LIMIT = 2000
EMBED_LIMITS = {"title": 256, "description": 4096}
EMBED_TOTAL_LIMIT = 6000
MAX_EMBEDS = 10
MAX_FIELDS = 25
MAX_ATTACHMENTS = 10


class ApiError(Exception):
    """A Discord-shaped error answer: HTTP status plus the JSON body Discord would send."""

    def __init__(self, status: int, code: int, message: str, errors: dict | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.body: dict[str, Any] = {"code": code, "message": message}
        if errors:
            self.body["errors"] = errors


class FormErrors:
    """Collects 'Invalid Form Body' problems keyed by dotted path (`embeds.0.description`)."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: str, code: str, message: str) -> None:
        node = self.tree
        for part in path.split(".") if path else ():  # "" is the body itself
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def too_long(self, path: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self) -> None:
        if self.tree:
            raise ApiError(400, 50035, "Invalid Form Body", self.tree)


@dataclass(frozen=True)
class UploadedFile:
    """One `files[n]` part of a multipart request, exactly as the bot sent it."""

    field: str
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height when the bytes are an image Pillow can identify from its header."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # not an image, or one Pillow refuses: Discord then omits the size too
        return None


def validate_message_fields(payload: dict[str, Any], *, flags: int = 0) -> None:
    """Raise ApiError(400) for fields past Discord's limits (content, embeds, components)."""
    errors = FormErrors()
    errors.too_long("content", payload.get("content"), CONTENT_LIMIT)
    embeds = payload.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        errors.add("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            errors.too_long(f"embeds.{i}.{key}", embed.get(key), limit)
        errors.too_long(f"embeds.{i}.footer.text", (embed.get("footer") or {}).get("text"), 2048)
        errors.too_long(f"embeds.{i}.author.name", (embed.get("author") or {}).get("name"), 256)
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            errors.add(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                if not fld.get(key):
                    errors.add(f"embeds.{i}.fields.{j}.{key}", "BASE_TYPE_REQUIRED", "This field is required")
                errors.too_long(f"embeds.{i}.fields.{j}.{key}", fld.get(key), limit)
        total += sum(len(embed.get(k) or "") for k in ("title", "description"))
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
        total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    if total > EMBED_TOTAL_LIMIT:
        errors.add("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    _validate_components(payload, errors, v2=bool(flags & COMPONENTS_V2))
    errors.raise_if_any()


def _validate_components(payload: dict[str, Any], errors: FormErrors, *, v2: bool) -> None:
    components = payload.get("components") or []
    if v2 and (payload.get("content") or payload.get("embeds")):
        errors.add(
            "content",
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used when using components v2",
        )
    if not v2 and len(components) > 5:
        errors.add("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for path, comp in iter_components(components):
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            errors.too_long(f"{path}.custom_id", custom_id, 100)
            if custom_id in seen:
                errors.add(
                    f"{path}.custom_id",
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        if comp.get("type") == 2:
            errors.too_long(f"{path}.label", comp.get("label"), 80)
            if comp.get("style") not in (5, 6) and not custom_id:
                errors.add(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
        if comp.get("type") == 1 and len(comp.get("components") or []) > 5:
            errors.add(f"{path}.components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")


def iter_components(components: Iterable[dict], prefix: str = "components"):
    """Yield (path, component) for every component, descending into rows, sections, containers."""
    for i, comp in enumerate(components):
        path = f"{prefix}.{i}"
        yield path, comp
        if comp.get("components"):
            yield from iter_components(comp["components"], f"{path}.components")
        if isinstance(comp.get("accessory"), dict):
            yield f"{path}.accessory", comp["accessory"]
        if isinstance(comp.get("component"), dict):
            yield f"{path}.component", comp["component"]


MENTION = re.compile(r"@(everyone|here)|<@!?(\d+)>|<@&(\d+)>")


def pings(content: str, allowed_mentions: dict[str, Any] | None) -> list[str]:
    """The mentions in `content` that Discord would notify, under the request's allowed_mentions.

    Without allowed_mentions Discord parses every kind (everyone/here, users, roles); with it,
    only the kinds in `parse` and the ids listed in `users` and `roles`.
    """
    if allowed_mentions is None:
        parse, users, roles = {"everyone", "users", "roles"}, set(), set()
    else:
        parse = set(allowed_mentions.get("parse") or ())
        users = {str(i) for i in allowed_mentions.get("users") or ()}
        roles = {str(i) for i in allowed_mentions.get("roles") or ()}
    targets = []
    for match in MENTION.finditer(content):
        everyone, user, role = match.groups()
        if (
            (everyone and "everyone" in parse)
            or (user and ("users" in parse or user in users))
            or (role and ("roles" in parse or role in roles))
        ):
            targets.append(match.group(0))
    return targets


class MessageStore:
    """Every message the bot created, by id, plus the bytes of every attachment it uploaded."""

    def __init__(self, world: DiscordWorld, base_url: str) -> None:
        self.world = world
        self.base_url = base_url
        self.messages: dict[int, dict[str, Any]] = {}
        self.files: dict[int, UploadedFile] = {}
        # (message id, target) for every mention Discord would have notified: see `pings`.
        self.pinged: list[tuple[int, str]] = []

    def get(self, message_id: int) -> dict[str, Any]:
        try:
            return self.messages[message_id]
        except KeyError:
            raise ApiError(404, 10008, "Unknown Message") from None

    def snapshot(self, message_id: int) -> dict[str, Any]:
        return copy.deepcopy(self.get(message_id))

    def add_upload(
        self,
        upload: UploadedFile,
        *,
        channel_id: int,
        entry: dict | None = None,
        ephemeral: bool = False,
        enforce_limit: bool = True,
        size_limit: int = ATTACHMENT_SIZE_LIMIT,
    ) -> dict[str, Any]:
        """Store uploaded bytes and return the attachment object Discord would list.

        Bots are held to the upload limit (an interaction's `attachment_size_limit`, else the
        guild's); users' own uploads are not (Nitro raises it).
        """
        if enforce_limit and upload.size > size_limit:
            raise ApiError(413, 40005, "Request entity too large")
        attachment_id = self.world.ids()
        filename = (entry or {}).get("filename") or upload.filename
        url = f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{filename}"
        data: dict[str, Any] = {
            "id": str(attachment_id),
            "filename": filename,
            "size": upload.size,
            "url": url,
            "proxy_url": url,
            "content_type": upload.content_type,
        }
        if (entry or {}).get("description"):
            data["description"] = entry["description"]
        size = image_size(upload.data)
        if size is not None:
            data["width"], data["height"] = size
        if ephemeral:
            data["ephemeral"] = True
        self.files[attachment_id] = upload
        return data

    def create(
        self,
        payload: dict[str, Any],
        files: list[UploadedFile],
        *,
        channel_id: int,
        message_type: int,
        loading: bool = False,
        from_webhook: bool = True,
        in_guild: bool = True,
        metadata: dict[str, Any] | None = None,
        size_limit: int = ATTACHMENT_SIZE_LIMIT,
    ) -> dict[str, Any]:
        """A new bot message (interaction reply or follow-up) built from what the bot sent."""
        flags = int(payload.get("flags") or 0)
        if loading:
            flags |= LOADING
        message: dict[str, Any] = {
            "id": str(self.world.ids()),
            "type": message_type,
            "channel_id": str(channel_id),
            "author": self.world.bot_user.to_payload(),
            "content": "",
            "embeds": [],
            "attachments": [],
            "components": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "flags": flags,
            "application_id": str(self.world.application_id),
        }
        guild = self.world.guild_of_channel(channel_id) if in_guild else None
        if guild is not None:
            message["guild_id"] = str(guild.id)
        if from_webhook:  # interaction replies and follow-ups come from the app's webhook
            message["webhook_id"] = str(self.world.application_id)
        if metadata:
            message.update(copy.deepcopy(metadata))
        self._apply(message, payload, files, require_content=not loading, size_limit=size_limit)
        self.messages[int(message["id"])] = message
        return copy.deepcopy(message)

    def post_as_user(
        self,
        author: FakeUser,
        *,
        channel_id: int,
        content: str = "",
        files: list[UploadedFile] = (),
        guild_id: int | None = None,
    ) -> dict[str, Any]:
        """A message a person wrote in a channel (with their uploads), for message commands."""
        message: dict[str, Any] = {
            "id": str(self.world.ids()),
            "type": 0,
            "channel_id": str(channel_id),
            "author": author.to_payload(),
            "content": content,
            "embeds": [],
            "components": [],
            "attachments": [self.add_upload(f, channel_id=channel_id, enforce_limit=False) for f in files],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "flags": 0,
        }
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
        self.messages[int(message["id"])] = message
        return copy.deepcopy(message)

    def edit(
        self,
        message_id: int,
        payload: dict[str, Any],
        files: list[UploadedFile],
        *,
        size_limit: int = ATTACHMENT_SIZE_LIMIT,
    ) -> dict[str, Any]:
        message = copy.deepcopy(self.get(message_id))
        message["flags"] = int(message["flags"]) & ~LOADING
        message["edited_timestamp"] = iso_now()
        self._apply(message, payload, files, require_content=True, size_limit=size_limit)
        self.messages[message_id] = message
        return copy.deepcopy(message)

    def delete(self, message_id: int) -> None:
        self.get(message_id)
        del self.messages[message_id]

    def _apply(
        self,
        message: dict,
        payload: dict,
        files: list[UploadedFile],
        *,
        require_content: bool,
        size_limit: int,
    ) -> None:
        validate_message_fields(payload, flags=message["flags"] | int(payload.get("flags") or 0))
        if payload.get("content"):
            self.pinged += [
                (int(message["id"]), target)
                for target in pings(payload["content"], payload.get("allowed_mentions"))
            ]
        for key in ("content", "embeds", "components", "poll", "tts"):
            if key in payload:
                message[key] = payload[key] if payload[key] is not None else ("" if key == "content" else [])
        if "flags" in payload and payload["flags"] is not None:
            # Only SUPPRESS_EMBEDS and COMPONENTS_V2 may change after creation.
            mutable = SUPPRESS_EMBEDS | COMPONENTS_V2
            message["flags"] = (message["flags"] & ~mutable) | (int(payload["flags"]) & mutable)
        if "attachments" in payload or files:
            message["attachments"] = self._attachments(message, payload, files, size_limit)
        if len(message["attachments"]) > MAX_ATTACHMENTS:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "attachments": {
                        "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 10 or fewer."}]
                    }
                },
            )
        if require_content and not any(
            message.get(k) for k in ("content", "embeds", "attachments", "components", "poll")
        ):
            raise ApiError(400, 50006, "Cannot send an empty message")

    def _attachments(
        self, message: dict, payload: dict, files: list[UploadedFile], size_limit: int
    ) -> list[dict]:
        current = {int(a["id"]): a for a in message["attachments"]}
        uploads = {f.field: f for f in files}
        ephemeral = bool(message["flags"] & EPHEMERAL)
        channel_id = int(message["channel_id"])
        if "attachments" not in payload or payload["attachments"] is None:
            return list(current.values()) + [
                self.add_upload(f, channel_id=channel_id, ephemeral=ephemeral, size_limit=size_limit)
                for f in files
            ]
        result = []
        used: set[str] = set()
        for i, entry in enumerate(payload["attachments"]):
            key = int(entry["id"])
            if key in current:
                result.append(current[key])
                continue
            upload = uploads.get(f"files[{key}]")
            if upload is None:
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "attachments": {
                            str(i): {
                                "_errors": [
                                    {"code": "ATTACHMENT_NOT_FOUND", "message": "Attachment data not found"}
                                ]
                            }
                        }
                    },
                )
            used.add(upload.field)
            result.append(
                self.add_upload(
                    upload, channel_id=channel_id, entry=entry, ephemeral=ephemeral, size_limit=size_limit
                )
            )
        # Uploaded parts the payload does not mention are still attached, as Discord does.
        result += [
            self.add_upload(f, channel_id=channel_id, ephemeral=ephemeral, size_limit=size_limit)
            for f in files
            if f.field not in used
        ]
        return result
