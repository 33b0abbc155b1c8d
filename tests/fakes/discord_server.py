"""A loopback Discord (REST API v10 + gateway websocket) that the real discord.py 2.7 logs into.

Usage guide
===========

Start it, run a bot against it, talk to the bot as users would, assert what the bot answered::

    from tests.fakes.discord_server import DiscordStandIn, Upload, run_bot

    async def test_digit_answers_with_a_png():
        async with DiscordStandIn() as server:               # 127.0.0.1, random port
            bot = make_bot()                                 # any commands.Bot / AutoShardedBot
            async with run_bot(bot, server):                 # patches discord.py, logs in,
                                                             # waits for READY; closes cleanly
                ix = await server.inject_command("digit", {"digit": 3, "count": 4},
                                                 user=server.alice, locale="es-ES")
                first = await ix.wait_for_callback()         # POST /interactions/…/callback
                assert first.callback_type == 5 and first.elapsed < 3.0   # deferred in time
                done = await ix.wait_for_reply(lambda r: r.files)          # edit or follow-up
                png = done.files[0].data                     # the uploaded bytes, as sent
                assert done.embeds[0]["title"] ...

A pytest-asyncio fixture is two lines::

    @pytest_asyncio.fixture
    async def discord_server():
        async with DiscordStandIn() as server:
            yield server

Starting. `DiscordStandIn(token=..., heartbeat_interval_ms=41250, callback_deadline=3.0,
shard_count=1)`. `server.token` is the bot token it accepts; any other gets 401 on
GET /users/@me (discord.py raises `discord.LoginFailure`) and close code 4004 on IDENTIFY.
`run_bot(bot, server, token=None, ready_timeout=10.0, guild_ready_timeout=0.05)` starts
`bot.start(token)` as a task, returns once READY has been handled (re-raising what start raised,
e.g. LoginFailure), and on exit closes the bot and awaits its task. `guild_ready_timeout` shortens
discord.py's 2 s wait for more GUILD_CREATEs before on_ready (None keeps the bot's own). Without
run_bot, wrap your own start in `with server.patch_discord():` (Route.BASE and DEFAULT_GATEWAY
point here inside it, restored after).

The world. One guild (`server.guild_id`, locale `guild_locale`, default "en-US"; more under
"Guilds and shards" below) with one text channel (`server.channel_id`); members `server.alice`
(en-US, the usual requester) and `server.bob` (es-ES, "someone else");
`server.add_user(name, locale=..., roles=(...))` adds more, `server.add_role(name)` a guild role
(before the bot connects: GUILD_CREATE lists it, in every guild). The bot is
`server.world.bot_user`, its application id `server.application_id`.

Talking to the bot (each returns an `InjectedInteraction` with `.id`, `.token`, `.sent_at`):
- `await server.inject_command(name, options=None, *, user=None, locale=None, guild_locale=None,
  app_permissions=None, in_dm=False, check=True)`: a slash command. Option types come from the
  command the bot synced; `Upload(filename, data, content_type=None)` fills an attachment option
  (its url serves the bytes from this server). "group sub" names a subcommand. check=True refuses
  what Discord's client would never send (missing required option, value outside min/max/choices).
- `await server.inject_component(message, custom_id, *, user=None, values=None, ...)`: press a
  button (or pick select `values`) on a message the bot sent (a Reply, message dict or id). Pressing
  a disabled button, or another user's ephemeral message, raises InvalidInteraction, as the
  Discord client would not let a user do it.
- `server.post_as_user(content, user=None, files=[Upload…], guild=None, in_dm=False)`: a message a
  person posts; `await server.inject_message_command(name, message, user=None, locale=None,
  installed_by="guild", check=True)`: Apps → `name` on it (a message command, type 3, with the
  message resolved as Discord sends it).
- `await server.inject_modal_submit(opened_by, values, *, user=None, locale=None, check=True)`:
  submit the modal the bot opened in answer to `opened_by` (the interaction that got the type 9
  callback, `opened_by.modal`), with text `values` by input custom_id; fields left out keep
  their pre-filled value. check=True refuses what Discord's client would not send (an empty
  required field, a text over max_length).
- `await server.inject_interaction(payload, shard=None)` / `await server.dispatch(event, data)`:
  raw. `shard=` (also on inject_component) sends it to that shard's session whatever its guild,
  as after Discord reshards a bot and a guild's events move to another shard and process.

Waiting and asserting. Every REST call is a `RecordedRequest` in `server.requests` (method, path
relative to /api/v10, query, json or payload_json, files, at=time.monotonic(), status).
`server.errors` lists answers >= 400 (late callbacks, over-long content...), `server.unhandled`
the routes the stand-in does not know. Everything a bot does to answer an interaction is a `Reply`
(kind "callback" | "edit" | "followup" | "delete"; .at, .elapsed since injection, .callback_type,
.payload as sent, .files as UploadedFile(field, filename, content_type, data), .message = stored
message afterwards, with .content .embeds .components .attachments .flags .ephemeral .loading
.buttons()). `server.messages_for(ix)` / `ix.replies` give them in order. Waits (all default to a
5 s timeout and raise TimeoutError listing what did arrive):
`server.wait_for(predicate)` over requests; `server.wait_for_reply(ix, predicate=None, kind=None)`;
`wait_for_callback(ix)`, `wait_for_followup(ix, predicate=None)`, `wait_for_edit(ix, predicate)`;
`wait_for_replies(ix, count, kind=None)`; `wait_until_quiet(ix, quiet=0.5, timeout=10)` (replies
stopped coming: use before counting streaming edits); `wait_for_sync(guild_id=None)` (tree synced).
`server.synced_commands(guild_id=None)` is what the bot last synced there (None = global),
`server.file(attachment)` the UploadedFile behind an attachment dict/id, `server.message(id)` a
stored message.

Discord's rules enforced: callback after `callback_deadline` s (3.0; None disables) → 404
"Unknown interaction"; a second callback → 400 (40060); follow-ups and edits before the callback →
404 "Unknown Webhook"; content > 2000, embed description > 4096 (and the other embed limits),
> 10 embeds, components over limits, empty messages, bot uploads > 10 MiB → Discord's error
bodies; callbacks 6/7 only for component and modal interactions; a modal (callback 9) only in
answer to a command or a component, with a custom_id, a title and components; follow-ups and
edits more than `token_lifetime` s (900, Discord's 15 minutes; None disables) after the
interaction → 401 "Invalid Webhook Token" (50027); an edit of a deleted message → 404 (10008);
uploads over the interaction's `attachment_size_limit` → 413.

Discord's specification. Every REST request is checked against the operation Discord's OpenAPI
document defines for it (discord_spec.py, discord_openapi.json): parameters, the JSON body or a
multipart body's payload_json, the file part names, and top-level fields the operation does not
know. A request that breaks it is answered as Discord answers (400, code 50035 "Invalid Form
Body", `errors` keyed by the field path). Every 400/413 answer (the specification's or a limit's)
is listed in `server.rejections`, and leaving the `async with` with any there fails the test:
a test that provokes them on purpose takes them with `server.take_rejections()`.

Rate limits. `server.rate_limiter` (discord_ratelimits.py) counts requests per bucket: 5 per 5 s
for each interaction message's edits, each interaction's follow-ups, and each channel's posts and
edits. Answers on those routes carry the X-RateLimit-* headers; past the limit the answer is 429
with `retry_after` (discord.py waits and retries). `server.rate_limited` lists the 429s.
A test can also have the next request to one route answered 429:
`server.rate_limit_next(method, path, retry_after=0.05)`, or carried out at once and answered
late: `server.answer_next_slowly(method, path, seconds=1.0)`.

Heartbeats. The client heartbeats every `heartbeat_interval_ms` on its own; `async with
server.heartbeat_probe(period=1.0):` additionally sends op 1 requests each `period` seconds
(discord.py answers them through a ~110/minute gateway rate limiter, so keep period >= 0.6).
`server.heartbeat_latencies` (seconds, request due → answer received), `unanswered_heartbeats`,
`periodic_heartbeat_delays` (lateness of the client's own beats against the interval); use
`percentile(values, 99)`. The server shares the test's event loop, so a blocked loop shows up as
latency, not as a server that "didn't send".

Guilds and shards. `server.add_guild(name=None, locale=..., on_shard=(shard_id, shard_count))`
adds a guild (with its own text channel) before the bot connects; `server.guilds` lists them,
the first is `server.guild_id`. `shard_count` is what GET /gateway/bot advises; a bot may
identify with any [shard_id, shard_count] instead (AutoShardedBot with shard_ids), and several
bot processes may each hold some shards. Each session gets READY and GUILD_CREATE for the guilds
its shard serves ((guild_id >> 22) % shard_count), and `inject_command(..., guild=g)` /
`dispatch(..., guild=g)` go to the session serving `g`, as Discord routes them (DMs: shard 0).
`wait_until_connected()` waits until every guild has a session serving it.

Not supported: RESUME (answered with INVALID_SESSION), zlib/zstd compression, voice, autocomplete
helpers (send type 4 through inject_interaction), threads, the global rate limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import discord
import discord.http
import yarl
from aiohttp import web
from discord.gateway import DiscordWebSocket

from tests.fakes.discord_gateway import GatewaySession, percentile
from tests.fakes.discord_interactions import (
    APPLICATION_COMMAND,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionBuilder,
    InvalidInteraction,
    Upload,
)
from tests.fakes.discord_messages import EPHEMERAL, MessageStore, UploadedFile
from tests.fakes.discord_ratelimits import RateLimiter
from tests.fakes.discord_records import (
    DEFAULT_TIMEOUT,
    Feed,
    InjectedInteraction,
    RecordedRequest,
    Reply,
)
from tests.fakes.discord_rest import API_PREFIX, GATEWAY_PATH, RestApi
from tests.fakes.discord_world import DiscordWorld, FakeGuild, FakeUser, new_token

__all__ = [
    "DiscordStandIn",
    "FakeGuild",
    "FakeUser",
    "InjectedInteraction",
    "InvalidInteraction",
    "RecordedRequest",
    "Reply",
    "Upload",
    "UploadedFile",
    "percentile",
    "run_bot",
]

InteractionRef = InjectedInteraction | int


class DiscordStandIn:
    """A Discord REST + gateway server on 127.0.0.1 that records what a bot does.

    See the module docstring for the usage guide.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        heartbeat_interval_ms: int = 41_250,
        callback_deadline: float | None = 3.0,
        shard_count: int = 1,
        guild_locale: str = "en-US",
        token_lifetime: float | None = 15 * 60,
    ) -> None:
        self.token = token or new_token("stand-in.")
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.callback_deadline = callback_deadline
        self.token_lifetime = token_lifetime
        self.rate_limiter = RateLimiter()
        self.rejections: list[RecordedRequest] = []
        self.shard_count = shard_count
        self.world = DiscordWorld(guild_locale=guild_locale)
        self.requests: Feed[RecordedRequest] = Feed("requests")
        self.replies: Feed[Reply] = Feed("replies")
        self.unhandled: list[RecordedRequest] = []
        self.interactions: dict[int, InjectedInteraction] = {}
        self.by_token: dict[str, InjectedInteraction] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.syncs: Feed[tuple[int | None, list[dict[str, Any]]]] = Feed("command syncs")
        self.sessions: list[GatewaySession] = []
        self.rate_limits: list[tuple[str, re.Pattern[str], float]] = []
        self.slow_answers: list[tuple[str, re.Pattern[str], float]] = []
        self._connected = asyncio.Event()
        self._probe_period: float | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.store: MessageStore = MessageStore(self.world, "")
        self.builder = InteractionBuilder(self.world, self.store)

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        rest = RestApi(self)
        app = web.Application(middlewares=[rest.middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get(GATEWAY_PATH, self._gateway)
        app.add_routes(rest.routes())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # aiohttp exposes no public accessor
        self.base_url = f"http://127.0.0.1:{port}"
        self.store.base_url = self.base_url

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordStandIn:
        await self.start()
        return self

    async def __aexit__(self, exc_type: object, *exc_info: object) -> None:
        await self.close()
        if exc_type is None:  # a test's own failure says more than what followed from it
            self.assert_no_rejections()

    def take_rejections(self) -> list[RecordedRequest]:
        """The requests refused with 400/413 so far, which the test expected; forgets them."""
        taken, self.rejections[:] = list(self.rejections), []
        return taken

    def assert_no_rejections(self) -> None:
        """Fail when Discord would have refused a request the bot made (and no test took it)."""
        assert not self.rejections, "Discord would refuse these requests:\n" + "\n".join(
            f"  {r.method} {r.path} -> {r.status} {r.response}\n    sent {r.json!r:.600}"
            for r in self.rejections
        )

    @property
    def rate_limited(self) -> list[RecordedRequest]:
        """Requests answered 429: the bot went faster than a bucket allows."""
        return [r for r in self.requests.items if r.status == 429]

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return "ws://" + self.base_url.removeprefix("http://") + GATEWAY_PATH

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway here; restore them afterwards."""
        old_base, old_gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(self, ws, dict(request.query))
        self.sessions.append(session)
        if self._probe_period is not None:
            session.start_probe(self._probe_period)
        await session.serve()
        return ws

    # ---- the world ------------------------------------------------------------------------

    @property
    def alice(self) -> FakeUser:
        return self.world.alice

    @property
    def bob(self) -> FakeUser:
        return self.world.bob

    @property
    def guild_id(self) -> int:
        return self.world.guild_id

    @property
    def channel_id(self) -> int:
        return self.world.channel_id

    @property
    def application_id(self) -> int:
        return self.world.application_id

    def add_user(self, username: str, *, locale: str = "en-US", roles: tuple[int, ...] = ()) -> FakeUser:
        return self.world.add_user(username, locale=locale, roles=roles)

    def add_role(self, name: str) -> int:
        return self.world.add_role(name)

    def add_guild(
        self, name: str | None = None, *, locale: str = "en-US", on_shard: tuple[int, int] | None = None
    ) -> FakeGuild:
        """Another guild (before the bot connects); `on_shard=(shard_id, shard_count)`."""
        return self.world.add_guild(name, locale=locale, on_shard=on_shard)

    @property
    def guilds(self) -> list[FakeGuild]:
        return list(self.world.guilds.values())

    def rate_limit_next(self, method: str, path: str, *, retry_after: float = 0.05) -> None:
        """Answer the next `method` request to `path` (relative to /api/v10; a {name} segment
        matches any one segment) with Discord's 429, as a per-route limit would; the request
        after it is served as usual."""
        self.rate_limits.append((method.upper(), _route_pattern(path), retry_after))

    def answer_next_slowly(self, method: str, path: str, *, seconds: float) -> None:
        """Carry out the next `method` request to `path` (as `rate_limit_next` matches it) at
        once, but answer it only `seconds` later, as a slow network does: the request has taken
        effect while its sender still waits."""
        self.slow_answers.append((method.upper(), _route_pattern(path), seconds))

    def take_slow_answer(self, method: str, path: str) -> float | None:
        """The delay of the first pending slow answer matching this request, used up."""
        return _take_first(self.slow_answers, method, path)

    def take_rate_limit(self, method: str, path: str) -> float | None:
        """The retry_after of the first pending rate limit matching this request, used up."""
        return _take_first(self.rate_limits, method, path)

    # ---- records --------------------------------------------------------------------------

    @property
    def errors(self) -> list[RecordedRequest]:
        """Requests the stand-in refused (status >= 400): late callbacks, invalid bodies..."""
        return [r for r in self.requests.items if r.status >= 400]

    def synced_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(guild_id, []))

    def message(self, message_id: int) -> dict[str, Any]:
        return self.store.snapshot(message_id)

    def file(self, attachment: dict[str, Any] | int | str) -> UploadedFile:
        key = attachment["id"] if isinstance(attachment, dict) else attachment
        return self.store.files[int(key)]

    def _interaction(self, ref: InteractionRef) -> InjectedInteraction:
        return ref if isinstance(ref, InjectedInteraction) else self.interactions[int(ref)]

    def messages_for(self, interaction: InteractionRef) -> list[Reply]:
        """Callbacks, edits, follow-ups and deletes answering one interaction, oldest first."""
        interaction_id = self._interaction(interaction).id
        return [r for r in self.replies.items if r.interaction_id == interaction_id]

    # ---- waiting --------------------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[RecordedRequest], bool], *, timeout: float = DEFAULT_TIMEOUT
    ) -> RecordedRequest:
        return await self.requests.wait_for(predicate, timeout=timeout, what="matching request")

    def _reply_filter(
        self, interaction: InteractionRef, predicate: Callable | None, kind: str | None
    ) -> Callable[[Reply], bool]:
        interaction_id = self._interaction(interaction).id
        return lambda r: (
            r.interaction_id == interaction_id
            and (kind is None or r.kind == kind)
            and (predicate is None or bool(predicate(r)))
        )

    async def wait_for_reply(
        self,
        interaction: InteractionRef,
        predicate: Callable[[Reply], bool] | None = None,
        *,
        kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Reply:
        return await self.replies.wait_for(
            self._reply_filter(interaction, predicate, kind),
            timeout=timeout,
            what=f"{kind or 'reply'} matching",
        )

    async def wait_for_callback(
        self, interaction: InteractionRef, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Reply:
        return await self.wait_for_reply(interaction, kind="callback", timeout=timeout)

    async def wait_for_followup(
        self,
        interaction: InteractionRef,
        predicate: Callable[[Reply], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Reply:
        return await self.wait_for_reply(interaction, predicate, kind="followup", timeout=timeout)

    async def wait_for_edit(
        self,
        interaction: InteractionRef,
        predicate: Callable[[Reply], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Reply:
        return await self.wait_for_reply(interaction, predicate, kind="edit", timeout=timeout)

    async def wait_for_replies(
        self,
        interaction: InteractionRef,
        count: int,
        *,
        kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[Reply]:
        return await self.replies.wait_for_count(
            self._reply_filter(interaction, None, kind), count, timeout=timeout, what=kind or "reply"
        )

    async def wait_until_quiet(
        self, interaction: InteractionRef, *, quiet: float = 0.5, timeout: float = 10.0
    ) -> list[Reply]:
        return await self.replies.wait_until_quiet(
            self._reply_filter(interaction, None, None), quiet=quiet, timeout=timeout
        )

    async def wait_for_sync(
        self, guild_id: int | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> list[dict]:
        _, commands = await self.syncs.wait_for(
            lambda s: s[0] == guild_id, timeout=timeout, what=f"command sync for {guild_id or 'global'}"
        )
        return copy.deepcopy(commands)

    async def wait_until_connected(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Until every guild has a gateway session serving it (READY and GUILD_CREATE sent)."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    def session_ready(self, session: GatewaySession) -> None:
        """Called by a session once it has sent READY (and GUILD_CREATE for its guilds)."""
        if all(self._owner_sessions(guild_id) for guild_id in self.world.guilds):
            self._connected.set()

    # ---- injecting interactions -----------------------------------------------------------

    def _owner_sessions(self, guild_id: int | None) -> list[GatewaySession]:
        """Live sessions that Discord would send `guild_id`'s events to (None: DMs, shard 0)."""
        live = [s for s in self.sessions if s.ready.is_set() and not s.closed]
        if guild_id is not None and guild_id not in self.world.guilds:
            guild_id = None  # a guild without the bot: a user install's events come as DMs do
        return [s for s in live if (s.shard[0] == 0 if guild_id is None else s.owns_guild(guild_id))]

    def _session_for(self, guild_id: int | None) -> GatewaySession:
        owner = self._owner_sessions(guild_id)
        if not owner:
            where = "DMs" if guild_id is None else f"guild {guild_id}"
            raise RuntimeError(
                f"no bot is connected to the stand-in's gateway for {where} "
                "(use run_bot; a sharded bot must hold that guild's shard)"
            )
        return owner[-1]

    async def inject_interaction(
        self, payload: dict[str, Any], *, shard: int | None = None
    ) -> InjectedInteraction:
        """Send a raw INTERACTION_CREATE payload (fields as built by InteractionBuilder.base).

        `shard`: the session of that shard gets it, whatever guild it names (as after Discord
        resharded, when a guild's events move to another shard and process)."""
        user_id = int((payload.get("member") or {}).get("user", payload.get("user", {}))["id"])
        interaction = InjectedInteraction(
            server=self,
            id=int(payload["id"]),
            token=payload["token"],
            type=payload["type"],
            user=self.world.users[user_id],
            payload=payload,
        )
        if "message" in payload:
            interaction.message_ids.add(int(payload["message"]["id"]))
            interaction.original_message_id = int(payload["message"]["id"])
        self.interactions[interaction.id] = interaction
        self.by_token[interaction.token] = interaction
        guild_id = payload.get("guild_id")
        if shard is not None:
            session = next(
                s for s in self.sessions if s.ready.is_set() and not s.closed and s.shard[0] == shard
            )
        else:
            session = self._session_for(None if guild_id is None else int(guild_id))
        interaction.sent_at = time.monotonic()
        await session.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _find_command(self, name: str, guild_id: int | None, *, kind: int = 1) -> dict[str, Any] | None:
        top = name.split()[0] if kind == 1 else name
        for scope in (guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == top and command.get("type", 1) == kind:
                    return command
        return None

    def post_as_user(
        self,
        content: str = "",
        *,
        user: FakeUser | None = None,
        files: list[Upload] = (),
        guild: FakeGuild | None = None,
        in_dm: bool = False,
    ) -> dict[str, Any]:
        """A message a person posts (in `guild`'s channel, or their DM with the bot), with
        `files` attached: what a message command (Apps → …) is then used on."""
        user = user or self.alice
        if in_dm:
            channel_id = self.builder._dm_channels.setdefault(user.id, self.world.ids())
            guild_id = None
        else:
            guild = guild or self.world.guild
            channel_id, guild_id = guild.channel_id, guild.id
        return self.store.post_as_user(
            user,
            channel_id=channel_id,
            content=content,
            files=[f.as_uploaded() for f in files],
            guild_id=guild_id,
        )

    async def inject_message_command(
        self,
        name: str,
        message: dict[str, Any],
        *,
        user: FakeUser | None = None,
        locale: str | None = None,
        installed_by: str = "guild",
        check: bool = True,
        guild: FakeGuild | None = None,
    ) -> InjectedInteraction:
        """A user picks Apps → `name` on `message` (a message context-menu command, type 3):
        Discord sends the message, resolved, with the target's id."""
        user = user or self.alice
        in_dm = "guild_id" not in message
        guild = guild or (None if in_dm else self.world.find_guild(int(message["guild_id"])))
        outside = in_dm or guild.id not in self.world.guilds
        definition = self._find_command(name, None if outside else guild.id, kind=3)
        if check and definition is None:
            raise InvalidInteraction(f"no message command {name!r} was synced")
        payload = self.builder.base(
            APPLICATION_COMMAND,
            user=user,
            locale=locale,
            guild_locale=None,
            app_permissions=None,
            in_dm=in_dm,
            guild=guild,
            installed_by=installed_by,
        )
        if check and definition is not None:
            self.builder.check_availability(definition, installed_by=installed_by, context=payload["context"])
        payload["data"] = {
            "id": str((definition or {}).get("id") or self.world.ids()),
            "name": name,
            "type": 3,
            "target_id": message["id"],
            "resolved": {"messages": {message["id"]: message}},
        }
        if definition and definition.get("guild_id"):
            payload["data"]["guild_id"] = definition["guild_id"]
        return await self.inject_interaction(payload)

    async def inject_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        locale: str | None = None,
        guild_locale: str | None = None,
        app_permissions: int | None = None,
        in_dm: bool = False,
        check: bool = True,
        guild: FakeGuild | None = None,
        member_permissions: int | None = None,
        installed_by: str = "guild",
        private_channel: bool = False,
    ) -> InjectedInteraction:
        """A user runs a slash command (in `guild`, default the first); see the module
        docstring. `member_permissions`: the user's own permission bits in the guild (default:
        an ordinary member's). `installed_by="user"`: through the user's own install of the app
        (in any guild, even one without the bot, `server.add_foreign_guild()`; in the bot's DM;
        or with `private_channel=True` in a DM between users). check=True also refuses a
        command whose synced integration_types or contexts leave this use out."""
        user = user or self.alice
        guild = guild or self.world.guild
        outside = in_dm or private_channel or guild.id not in self.world.guilds
        definition = self._find_command(name, None if outside else guild.id)
        if check and definition is None:
            raise InvalidInteraction(
                f"/{name.split()[0]} was never synced; synced: "
                f"{[c['name'] for v in self.commands.values() for c in v]}"
            )
        payload = self.builder.base(
            APPLICATION_COMMAND,
            user=user,
            locale=locale,
            guild_locale=guild_locale,
            app_permissions=app_permissions,
            in_dm=in_dm,
            guild=guild,
            member_permissions=member_permissions,
            installed_by=installed_by,
            private_channel=private_channel,
        )
        if check and definition is not None:
            self.builder.check_availability(definition, installed_by=installed_by, context=payload["context"])
        payload["data"] = self.builder.command_data(
            name, options or {}, definition, channel_id=int(payload["channel_id"]), check=check
        )
        return await self.inject_interaction(payload)

    async def inject_component(
        self,
        message: Reply | dict[str, Any] | int,
        custom_id: str,
        *,
        user: FakeUser | None = None,
        values: list[str] | None = None,
        locale: str | None = None,
        guild_locale: str | None = None,
        app_permissions: int | None = None,
        shard: int | None = None,
    ) -> InjectedInteraction:
        """A user presses a button (or picks select `values`) on a message the bot sent
        (`shard`: sent to that shard's session, see inject_interaction)."""
        user = user or self.alice
        message_id = (
            message.message_id
            if isinstance(message, Reply)
            else int(message["id"])
            if isinstance(message, dict)
            else int(message)
        )
        stored = self.store.snapshot(message_id)
        component = self.builder.find_component(stored, custom_id)
        if component.get("disabled"):
            raise InvalidInteraction(f"component {custom_id!r} is disabled")
        owner = (stored.get("interaction_metadata") or {}).get("user", {}).get("id")
        if stored["flags"] & EPHEMERAL and owner != str(user.id):
            raise InvalidInteraction("only the requester can see an ephemeral message")
        guild = self.world.find_guild(int(stored["guild_id"])) if "guild_id" in stored else None
        # A press goes through the installation that sent the message.
        owners = (stored.get("interaction_metadata") or {}).get("authorizing_integration_owners")
        installed_by = "user" if owners and "0" not in owners else "guild"
        payload = self.builder.base(
            MESSAGE_COMPONENT,
            user=user,
            locale=locale,
            guild_locale=guild_locale,
            app_permissions=app_permissions,
            in_dm=guild is None,
            guild=guild,
            installed_by=installed_by,
        )
        payload["data"] = self.builder.component_data(component, values)
        payload["message"] = stored
        return await self.inject_interaction(payload, shard=shard)

    async def inject_modal_submit(
        self,
        opened_by: InjectedInteraction,
        values: dict[str, Any],
        *,
        user: FakeUser | None = None,
        locale: str | None = None,
        check: bool = True,
    ) -> InjectedInteraction:
        """A user submits the modal the bot opened in answer to `opened_by`."""
        modal = opened_by.modal
        if modal is None:
            raise InvalidInteraction(f"{opened_by!r} opened no modal (no type 9 callback)")
        if check:
            self.builder.check_modal_values(modal, values)
        payload = self.builder.base(
            MODAL_SUBMIT,
            user=user or opened_by.user,
            locale=locale,
            guild_locale=None,
            app_permissions=None,
            in_dm="guild_id" not in opened_by.payload,
        )
        payload["data"] = {
            "custom_id": modal["custom_id"],
            "components": self.builder.modal_components(modal, values),
        }
        if "message" in opened_by.payload:  # opened from a component: the submit names its message
            payload["message"] = self.store.snapshot(int(opened_by.payload["message"]["id"]))
        return await self.inject_interaction(payload)

    async def dispatch(self, event: str, data: dict[str, Any], *, guild: FakeGuild | None = None) -> None:
        """Send any gateway event to the session that serves `guild` (default: the first)."""
        await self._session_for((guild or self.world.guild).id).dispatch(event, data)

    # ---- heartbeats -----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def heartbeat_probe(
        self, *, period: float = 1.0, drain: float = 2.0
    ) -> AsyncIterator[DiscordStandIn]:
        """Request heartbeats every `period` s while inside; on exit wait `drain` s for answers."""
        self._probe_period = period
        for session in self.sessions:
            if not session.closed:
                session.start_probe(period)
        try:
            yield self
        finally:
            self._probe_period = None
            for session in self.sessions:
                await session.stop_probe(drain=drain)

    @property
    def heartbeat_latencies(self) -> list[float]:
        return [x for s in self.sessions for x in s.heartbeats.latencies]

    @property
    def unanswered_heartbeats(self) -> int:
        return sum(len(s.heartbeats.unanswered) for s in self.sessions)

    @property
    def periodic_heartbeat_delays(self) -> list[float]:
        return [x for s in self.sessions for x in s.heartbeats.periodic_delays]


# Pass as `guild_ready_timeout=` to a test bot's constructor (a public discord.py option): how
# long it waits after the last GUILD_CREATE for more before READY (default 2 s). The stand-in
# sends all of its guilds at once, so waiting longer only slows every test.
GUILD_READY_TIMEOUT_S = 0.05


@contextlib.asynccontextmanager
async def run_bot(
    bot: discord.Client, server: DiscordStandIn, *, token: str | None = None, ready_timeout: float = 10.0
) -> AsyncIterator[discord.Client]:
    """Run `bot` against `server` until READY; close it (and await its task) on exit."""
    with server.patch_discord():
        async with bot:
            runner = asyncio.create_task(
                bot.start(server.token if token is None else token), name="stand-in-bot"
            )
            ready = asyncio.create_task(bot.wait_until_ready())
            try:
                done, _ = await asyncio.wait(
                    {runner, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if runner in done:
                    runner.result()  # re-raises LoginFailure and friends
                    raise RuntimeError("bot.start() returned before READY")
                if not done:
                    raise TimeoutError(f"bot not READY within {ready_timeout}s")
                yield bot
            finally:
                ready.cancel()
                await asyncio.gather(ready, return_exceptions=True)
                await bot.close()
                await asyncio.wait({runner}, timeout=5.0)
                if not runner.done():
                    runner.cancel()
                # Collected, not raised: a failure to start was raised above already, and one
                # while closing must not mask the test's own outcome.
                await asyncio.gather(runner, return_exceptions=True)


def _route_pattern(path: str) -> re.Pattern[str]:
    """`path` relative to /api/v10 as a pattern, each {name} segment matching any one segment."""
    return re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$")


def _take_first(pending: list[tuple[str, re.Pattern[str], float]], method: str, path: str) -> float | None:
    """The number of the first (method, pattern, number) in `pending` that matches this request,
    removed from it; None when none matches."""
    for i, (wanted_method, pattern, number) in enumerate(pending):
        if wanted_method == method and pattern.match(path):
            del pending[i]
            return number
    return None
