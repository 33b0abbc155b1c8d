"""The REST side of the stand-in: the API v10 routes discord.py calls, as an aiohttp app.

Every request is recorded (`DiscordStandIn.requests`) before it is answered, including ones to
routes the stand-in does not know (404, also listed in `DiscordStandIn.unhandled`), so a test
can see exactly what the bot asked for. Answers carry `Content-Type: application/json` exactly,
the only spelling discord.py parses as JSON.

Before a handler runs, the request passes the checks Discord makes first: its route's rate limit
(discord_ratelimits: 429, and the bucket headers on every answer of a limited route) and
Discord's own specification of the operation (discord_spec: 400 with code 50035 "Invalid Form
Body" and the field paths). Every 400 or 413 answer, whether from the specification or from the
limits the handlers enforce, is also listed in `DiscordStandIn.rejections`: the stand-in fails
the test at exit unless the test took them (`take_rejections()`), because a bot whose request
Discord refuses is broken even when it copes with the refusal.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.discord_messages import EPHEMERAL, ApiError, FormErrors, UploadedFile
from tests.fakes.discord_records import RecordedRequest, Reply
from tests.fakes.discord_spec import spec
from tests.fakes.discord_world import ATTACHMENT_SIZE_LIMIT, FakeGuild

if TYPE_CHECKING:
    from tests.fakes.discord_records import InjectedInteraction
    from tests.fakes.discord_server import DiscordStandIn

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gateway"
CHAT_INPUT_MESSAGE, DEFAULT_MESSAGE = 20, 0
NAME_PATTERN = re.compile(r"^[-_'\w]{1,32}$")
RECORD = web.RequestKey("record", RecordedRequest)


# Discord: an app used through a user's install where the bot is not (a guild without it, other
# people's DMs) may send at most 5 follow-up messages per interaction.
USER_INSTALL_FOLLOWUPS = 5


def _user_install_elsewhere(payload: dict[str, Any]) -> bool:
    owners = payload.get("authorizing_integration_owners") or {}
    return "0" not in owners and payload.get("context") in (0, 2)


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON body, or multipart `payload_json` plus `files[n]` parts, as discord.py sends them."""
    if request.content_type == "multipart/form-data":
        payload, files = None, []
        reader = await request.multipart()
        async for part in reader:
            data = await part.read(decode=False)
            if part.name == "payload_json":
                payload = json.loads(data)
            else:
                files.append(
                    UploadedFile(
                        part.name or "",
                        part.filename or "",
                        part.headers.get("Content-Type", "application/octet-stream"),
                        bytes(data),
                    )
                )
        return payload, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


def _route(request: web.Request) -> str:
    """The route template that served `request`, relative to /api/v10."""
    return (
        request.match_info.route.resource.canonical if request.match_info.route.resource else ""
    ).removeprefix(API_PREFIX)


def check_against_spec(method: str, path: str, record: RecordedRequest, content_type: str) -> None:
    """Raise Discord's 50035 answer when the request breaks its operation in Discord's spec."""
    operation = spec().operation(method, path)
    if operation is None:  # not an API route Discord has: the router answers 404
        return
    multipart = content_type == "multipart/form-data"
    problems = spec().problems(
        operation,
        path,
        record.query,
        record.json,
        multipart=multipart,
        file_fields=[f.field for f in record.files],
    )
    errors = FormErrors()
    for problem in problems:
        errors.add(problem.path, problem.code, problem.message)
    errors.raise_if_any()


def _size_limit(interaction: InjectedInteraction) -> int:
    """The most bytes one upload answering `interaction` may have (Discord tells the bot)."""
    return int(interaction.payload.get("attachment_size_limit") or ATTACHMENT_SIZE_LIMIT)


def validate_commands(commands: list[dict[str, Any]]) -> None:
    """The checks Discord applies to a bulk overwrite that discord.py does not do itself."""
    errors = FormErrors()
    for i, command in enumerate(commands):
        chat_input = command.get("type", 1) == 1
        _validate_named(errors, str(i), command, chat_input)
        _validate_options(errors, f"{i}.options", command.get("options") or [])
    errors.raise_if_any()


def _validate_named(errors: FormErrors, path: str, item: dict, chat_input: bool) -> None:
    name = item.get("name") or ""
    if chat_input and (not NAME_PATTERN.match(name) or name != name.lower()):
        errors.add(f"{path}.name", "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}")
    description = item.get("description") or ""
    if chat_input and not 1 <= len(description) <= 100:
        errors.add(f"{path}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def _validate_options(errors: FormErrors, path: str, options: list[dict]) -> None:
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    for j, option in enumerate(options):
        _validate_named(errors, f"{path}.{j}", option, True)
        if option.get("required"):
            if seen_optional:
                errors.add(
                    f"{path}.{j}.required",
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        if len(option.get("choices") or []) > 25:
            errors.add(f"{path}.{j}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer.")
        _validate_options(errors, f"{path}.{j}.options", option.get("options") or [])


class RestApi:
    """aiohttp handlers for the REST routes; state lives on the DiscordStandIn."""

    def __init__(self, server: DiscordStandIn) -> None:
        self.server = server

    def routes(self) -> list[web.RouteDef]:
        p = API_PREFIX
        app = "/applications/{app_id}"
        hook = "/webhooks/{app_id}/{token}"
        return [
            web.get(p + "/users/@me", self.me),
            web.get(p + "/users/{user_id}", self.user),
            web.get(p + "/gateway", self.gateway),
            web.get(p + "/gateway/bot", self.gateway_bot),
            web.get(p + "/oauth2/applications/@me", self.application),
            web.get(p + "/applications/@me", self.application),
            web.get(p + app + "/commands", self.get_commands),
            web.put(p + app + "/commands", self.put_commands),
            web.get(p + app + "/guilds/{guild_id}/commands", self.get_commands),
            web.put(p + app + "/guilds/{guild_id}/commands", self.put_commands),
            web.get(p + app + "/guilds/{guild_id}/commands/permissions", self.empty_list),
            web.get(p + app + "/entitlements", self.empty_list),
            web.get(p + app + "/emojis", self.no_items),
            web.get(p + "/guilds/{guild_id}", self.guild),
            web.get(p + "/guilds/{guild_id}/channels", self.channels),
            web.get(p + "/guilds/{guild_id}/members/{user_id}", self.member),
            web.get(p + "/channels/{channel_id}", self.channel),
            web.post(p + "/channels/{channel_id}/typing", self.no_content),
            web.post(p + "/channels/{channel_id}/messages", self.post_channel_message),
            web.get(p + "/channels/{channel_id}/messages/{message_id}", self.get_channel_message),
            web.patch(p + "/channels/{channel_id}/messages/{message_id}", self.edit_channel_message),
            web.delete(p + "/channels/{channel_id}/messages/{message_id}", self.delete_channel_message),
            web.post(p + "/interactions/{interaction_id}/{token}/callback", self.callback),
            web.post(p + hook, self.followup),
            web.get(p + hook + "/messages/{message_id}", self.get_webhook_message),
            web.patch(p + hook + "/messages/{message_id}", self.edit_webhook_message),
            web.delete(p + hook + "/messages/{message_id}", self.delete_webhook_message),
            web.get("/attachments/{channel_id}/{attachment_id}/{filename}", self.attachment),
            web.route("*", "/{tail:.*}", self.not_found),
        ]

    # ---- recording middleware -------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        if request.path == GATEWAY_PATH:  # a websocket session, not a REST call
            return await handler(request)
        at = time.monotonic()
        header = request.headers.get("Authorization")
        authorized = None if header is None else header == f"Bot {self.server.token}"
        path = request.path.removeprefix(API_PREFIX)
        record = RecordedRequest(request.method, path, dict(request.query), None, [], at, authorized)
        request[RECORD] = record
        limit = self.server.rate_limiter.check(request.method, _route(request), dict(request.match_info), at)
        try:
            try:
                record.json, record.files = await read_body(request)
            except ValueError:
                raise ApiError(400, 50109, "The request body contains invalid JSON.") from None
            forced = self.server.take_rate_limit(request.method, path)
            if forced is not None:
                # A 429 a test asked for, with Discord's headers (discord.py retries only a 429
                # that came "Via" Discord's proxies: one without is Cloudflare's ban).
                response = json_response(
                    {"message": "You are being rate limited.", "retry_after": forced, "global": False}, 429
                )
                response.headers.update(
                    {"Via": "1.1 google", "X-RateLimit-Scope": "user", "Retry-After": f"{forced:g}"}
                )
            elif limit is not None and not limit.allowed:
                response = json_response(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": round(limit.retry_after, 3),
                        "global": False,
                    },
                    429,
                )
            else:
                check_against_spec(request.method, path, record, request.content_type)
                response = await handler(request)
        except ApiError as error:
            response = json_response(error.body, error.status)
        if limit is not None:
            response.headers.update(limit.headers)
        if (
            isinstance(response, web.Response)
            and response.body is not None
            and response.content_type == "application/json"
        ):
            record.response = json.loads(response.body)
        record.status = response.status
        if response.status in (400, 413):
            self.server.rejections.append(record)
        self.server.requests.append(record)
        delay = self.server.take_slow_answer(request.method, path)
        if delay is not None:
            await asyncio.sleep(delay)
        return response

    def _require_bot(self, request: web.Request) -> None:
        if not request[RECORD].authorized:
            raise ApiError(401, 0, "401: Unauthorized")

    # ---- identity, gateway, application ---------------------------------------------------

    async def me(self, request: web.Request) -> web.Response:
        self._require_bot(request)
        world = self.server.world
        return json_response(
            world.bot_user.to_payload() | {"verified": True, "flags": 0, "mfa_enabled": False}
        )

    async def user(self, request: web.Request) -> web.Response:
        self._require_bot(request)
        user = self.server.world.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(user.to_payload())

    async def gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.server.gateway_url})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        self._require_bot(request)
        return json_response(
            {
                "url": self.server.gateway_url,
                "shards": self.server.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def application(self, request: web.Request) -> web.Response:
        self._require_bot(request)
        return json_response(self.server.world.application_payload())

    async def empty_list(self, request: web.Request) -> web.Response:
        self._require_bot(request)
        return json_response([])

    async def no_items(self, request: web.Request) -> web.Response:
        self._require_bot(request)
        return json_response({"items": []})

    async def no_content(self, request: web.Request) -> web.Response:
        self._require_bot(request)
        return web.Response(status=204)

    async def not_found(self, request: web.Request) -> web.Response:
        self.server.unhandled.append(request[RECORD])
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    # ---- application commands -------------------------------------------------------------

    def _scope(self, request: web.Request) -> int | None:
        self._require_bot(request)
        if int(request.match_info["app_id"]) != self.server.world.application_id:
            raise ApiError(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild_id")
        if guild_id is not None and int(guild_id) not in self.server.world.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return None if guild_id is None else int(guild_id)

    async def get_commands(self, request: web.Request) -> web.Response:
        return json_response(self.server.commands.get(self._scope(request), []))

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        commands = request[RECORD].json or []
        validate_commands(commands)
        world = self.server.world
        known = {(c["name"], c.get("type", 1)): c["id"] for c in self.server.commands.get(scope, [])}
        stored = []
        for command in commands:
            kind = command.get("type", 1)
            # Discord answers every command with a description: "" for user and message ones.
            entry = {
                "type": kind,
                "default_member_permissions": None,
                "nsfw": False,
                "dm_permission": True,
                "options": [],
                "description": "",
            } | command
            entry |= {
                "id": known.get((command["name"], kind)) or str(world.ids()),
                "application_id": str(world.application_id),
                "version": str(world.ids()),
            }
            if scope is not None:
                entry["guild_id"] = str(scope)
            stored.append(entry)
        self.server.commands[scope] = stored
        self.server.syncs.append((scope, stored))
        return json_response(stored)

    # ---- guild, channel, members ----------------------------------------------------------

    def _check_guild(self, request: web.Request) -> FakeGuild:
        self._require_bot(request)
        guild = self.server.world.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    async def guild(self, request: web.Request) -> web.Response:
        payload = self.server.world.guild_payload(self._check_guild(request))
        for key in ("channels", "members", "threads", "presences", "voice_states"):
            payload.pop(key)
        return json_response(payload)

    async def channels(self, request: web.Request) -> web.Response:
        return json_response([self.server.world.channel_payload(self._check_guild(request))])

    async def member(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        user = self.server.world.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(user.member_payload())

    def _check_channel(self, request: web.Request) -> int:
        self._require_bot(request)
        channel_id = int(request.match_info["channel_id"])
        if self.server.world.guild_of_channel(channel_id) is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel_id

    async def channel(self, request: web.Request) -> web.Response:
        world = self.server.world
        return json_response(world.channel_payload(world.guild_of_channel(self._check_channel(request))))

    async def post_channel_message(self, request: web.Request) -> web.Response:
        channel_id = self._check_channel(request)
        record = request[RECORD]
        message = self.server.store.create(
            record.json or {},
            record.files,
            channel_id=channel_id,
            message_type=DEFAULT_MESSAGE,
            from_webhook=False,
        )
        return json_response(message)

    def _channel_message(self, request: web.Request) -> int:
        self._check_channel(request)
        message_id = int(request.match_info["message_id"])
        self.server.store.get(message_id)
        return message_id

    async def get_channel_message(self, request: web.Request) -> web.Response:
        return json_response(self.server.store.snapshot(self._channel_message(request)))

    async def edit_channel_message(self, request: web.Request) -> web.Response:
        record = request[RECORD]
        message_id = self._channel_message(request)
        return json_response(self.server.store.edit(message_id, record.json or {}, record.files))

    async def delete_channel_message(self, request: web.Request) -> web.Response:
        self.server.store.delete(self._channel_message(request))
        return web.Response(status=204)

    async def attachment(self, request: web.Request) -> web.Response:
        upload = self.server.store.files.get(int(request.match_info["attachment_id"]))
        if upload is None:
            return web.Response(status=404, text="404: Not Found")
        return web.Response(body=upload.data, headers={"Content-Type": upload.content_type})

    # ---- interaction responses ------------------------------------------------------------

    def _interaction_by_token(self, request: web.Request) -> InjectedInteraction:
        interaction = self.server.by_token.get(request.match_info["token"])
        if interaction is None or int(request.match_info["app_id"]) != self.server.world.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        if not interaction.acknowledged:
            # Discord creates the interaction webhook only once the interaction is answered.
            raise ApiError(404, 10015, "Unknown Webhook")
        lifetime = self.server.token_lifetime
        if lifetime is not None and request[RECORD].at - interaction.sent_at > lifetime:
            raise ApiError(401, 50027, "Invalid Webhook Token")  # 15 minutes after the interaction
        return interaction

    def _record_reply(
        self,
        interaction: InjectedInteraction,
        kind: str,
        request: web.Request,
        payload: dict,
        message: dict | None,
        *,
        message_id: int | None = None,
        callback_type: int | None = None,
        target: str = "",
    ) -> Reply:
        record: RecordedRequest = request[RECORD]
        if message is not None:
            message_id = int(message["id"])
        reply = Reply(
            kind=kind,
            interaction_id=interaction.id,
            at=record.at,
            elapsed=record.at - interaction.sent_at,
            request=record,
            payload=payload,
            files=record.files,
            message=message,
            message_id=message_id,
            callback_type=callback_type,
            target=target,
        )
        self.server.replies.append(reply)
        return reply

    def _metadata(self, interaction: InjectedInteraction) -> dict[str, Any]:
        """interaction_metadata (and the legacy `interaction`) of messages answering it."""
        user = interaction.user.to_payload()
        metadata = {
            "interaction_metadata": {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            },
        }
        if interaction.type == 2:
            metadata["interaction_metadata"]["name"] = interaction.name
            metadata["interaction_metadata"]["command_type"] = 1
            metadata["interaction"] = {
                "id": str(interaction.id),
                "type": 2,
                "name": interaction.name,
                "user": user,
            }
        return metadata

    def _new_message(
        self,
        interaction: InjectedInteraction,
        payload: dict,
        files: list[UploadedFile],
        *,
        loading: bool = False,
    ) -> dict[str, Any]:
        message = self.server.store.create(
            payload,
            files,
            channel_id=int(interaction.payload["channel_id"]),
            message_type=CHAT_INPUT_MESSAGE if interaction.type == 2 else DEFAULT_MESSAGE,
            loading=loading,
            in_guild="guild_id" in interaction.payload,
            metadata=self._metadata(interaction),
            size_limit=_size_limit(interaction),
        )
        interaction.message_ids.add(int(message["id"]))
        return message

    async def callback(self, request: web.Request) -> web.Response:
        server = self.server
        record: RecordedRequest = request[RECORD]
        interaction = server.interactions.get(int(request.match_info["interaction_id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if interaction.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        deadline = server.callback_deadline
        if deadline is not None and record.at - interaction.sent_at > deadline:
            raise ApiError(404, 10062, "Unknown interaction")  # Discord's answer after 3 s
        body = record.json or {}
        kind, data = body.get("type"), body.get("data") or {}
        message = self._answer(interaction, kind, data, record.files)
        interaction.callback_type = kind
        self._record_reply(
            interaction,
            "callback",
            request,
            data,
            message,
            callback_type=kind,
            message_id=interaction.original_message_id,
        )
        flags = int((message or {}).get("flags") or 0)
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            resource["message"] = message
        return json_response(
            {
                "interaction": {
                    "id": str(interaction.id),
                    "type": interaction.type,
                    "response_message_id": message["id"] if message else None,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(flags & EPHEMERAL),
                },
                "resource": resource,
            }
        )

    def _answer(
        self, interaction: InjectedInteraction, kind: Any, data: dict, files: list[UploadedFile]
    ) -> dict[str, Any] | None:
        """Apply one callback; returns the message it created or updated, if any."""
        on_message = "message" in interaction.payload
        if kind == 4:
            message = self._new_message(interaction, data, files)
        elif kind == 5:
            message = self._new_message(
                interaction, {"flags": int(data.get("flags") or 0) & EPHEMERAL}, [], loading=True
            )
        elif kind in (6, 7) and on_message:
            target = int(interaction.payload["message"]["id"])
            message = (
                None
                if kind == 6
                else self.server.store.edit(target, data, files, size_limit=_size_limit(interaction))
            )
            interaction.original_message_id = target
            return message
        elif kind == 8 and interaction.type == 4:
            return None
        elif kind == 9 and interaction.type in (2, 3):
            if not data.get("custom_id") or not data.get("title") or not data.get("components"):
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "data": {
                            "_errors": [
                                {"code": "MODAL_INVALID", "message": "custom_id, title, components needed"}
                            ]
                        }
                    },
                )
            interaction.modal = data
            return None
        else:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_CALLBACK_TYPE_INVALID",
                                "message": f"Callback type {kind} is invalid for interaction type "
                                f"{interaction.type}",
                            }
                        ]
                    }
                },
            )
        interaction.original_message_id = int(message["id"])
        return message

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        record: RecordedRequest = request[RECORD]
        payload = record.json or {}
        if _user_install_elsewhere(interaction.payload):
            sent = sum(1 for r in interaction.replies if r.kind == "followup")
            if sent >= USER_INSTALL_FOLLOWUPS:
                raise ApiError(
                    400, 40094, "This interaction has hit the maximum number of follow up messages"
                )
        message = self._new_message(interaction, payload, record.files)
        self._record_reply(interaction, "followup", request, payload, message)
        if record.query.get("wait") in ("1", "true", "True"):
            return json_response(message)
        return web.Response(status=204)

    def _webhook_target(self, request: web.Request) -> tuple[InjectedInteraction, int]:
        interaction = self._interaction_by_token(request)
        raw = request.match_info["message_id"]
        if raw == "@original":
            if interaction.original_message_id is None:
                raise ApiError(404, 10008, "Unknown Message")
            return interaction, interaction.original_message_id
        if int(raw) not in interaction.message_ids:
            raise ApiError(404, 10008, "Unknown Message")
        return interaction, int(raw)

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        _, message_id = self._webhook_target(request)
        return json_response(self.server.store.snapshot(message_id))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction, message_id = self._webhook_target(request)
        record: RecordedRequest = request[RECORD]
        payload = record.json or {}
        message = self.server.store.edit(
            message_id, payload, record.files, size_limit=_size_limit(interaction)
        )
        self._record_reply(
            interaction, "edit", request, payload, message, target=request.match_info["message_id"]
        )
        return json_response(message)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        interaction, message_id = self._webhook_target(request)
        self.server.store.delete(message_id)
        self._record_reply(
            interaction,
            "delete",
            request,
            {},
            None,
            message_id=message_id,
            target=request.match_info["message_id"],
        )
        return web.Response(status=204)
