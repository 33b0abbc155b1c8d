"""The gateway side of the stand-in: one websocket session per connected shard.

A session says HELLO, answers IDENTIFY with READY and a GUILD_CREATE for each guild its shard
serves ((guild_id >> 22) % shard_count, from the `shard` the client identified with), ACKs
heartbeats, serves member chunk requests, and dispatches whatever events the test injects.
Several bot processes may each hold some shards of the same stand-in. It never compresses
(discord.py asks for zlib-stream but reads plain text frames too) and does not support RESUME
(it answers with INVALID_SESSION, so discord.py identifies afresh).

Heartbeat measurement. discord.py sends a heartbeat (op 1) on its own every heartbeat_interval,
from a thread, through the event loop; it also answers a server's op 1 request with one, through
its gateway rate limiter (110 sends a minute, so about one request a second is safe). Both carry
the client's last seen sequence number, so every request and every ACK this server sends carries a
fresh `s`: an answer is recognised as the first heartbeat whose `d` equals its request's `s`.
`latency` is measured from when a request was *due*, so a server delayed by a busy shared event
loop still counts the delay (the tests run the bot on the stand-in's loop). `answer_latency` is
measured from when it was sent: the client's own answer time, for a bot in another process.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

if TYPE_CHECKING:
    from tests.fakes.discord_server import DiscordStandIn

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE = 0, 1, 2, 3
RESUME, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 8, 9, 10, 11
AUTHENTICATION_FAILED = 4004
GUILD_MEMBERS_INTENT = 1 << 1


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank; inf for no values (nothing measured)."""
    if not values:
        return math.inf
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class HeartbeatRequest:
    """One op 1 the server sent, and when the client's heartbeat answered it."""

    marker: int  # the `s` it carried; the answer's `d`
    due_at: float
    sent_at: float
    answered_at: float | None = None

    @property
    def latency(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.due_at

    @property
    def answer_latency(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.sent_at


@dataclass
class HeartbeatMonitor:
    """Heartbeats of one session: answers to our requests, and the client's periodic ones."""

    interval: float
    requests: list[HeartbeatRequest] = field(default_factory=list)
    beats: list[tuple[float, Any]] = field(default_factory=list)  # (arrival, d)
    periodic_delays: list[float] = field(default_factory=list)
    _by_marker: dict[int, HeartbeatRequest] = field(default_factory=dict)
    _last_periodic: float | None = None

    def requested(self, request: HeartbeatRequest) -> None:
        self.requests.append(request)
        self._by_marker[request.marker] = request

    def received(self, seq: Any, at: float) -> None:
        self.beats.append((at, seq))
        request = self._by_marker.get(seq) if isinstance(seq, int) else None
        if request is not None:
            if request.answered_at is None:
                request.answered_at = at
                return
            # A second beat with the same marker: one of the two was the periodic beat that
            # happened to be built right after our request. Re-anchor without a measurement.
            self._last_periodic = at
            return
        if self._last_periodic is not None:
            self.periodic_delays.append(at - self._last_periodic - self.interval)
        self._last_periodic = at

    @property
    def latencies(self) -> list[float]:
        return [r.latency for r in self.requests if r.latency is not None]

    @property
    def unanswered(self) -> list[HeartbeatRequest]:
        return [r for r in self.requests if r.answered_at is None]


class GatewaySession:
    """One client websocket: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, dispatches."""

    def __init__(self, server: DiscordStandIn, ws: web.WebSocketResponse, query: dict) -> None:
        self.server = server
        self.ws = ws
        self.query = query
        self.session_id = secrets.token_hex(16)
        self.identify: dict[str, Any] | None = None
        self.shard: tuple[int, int] = (0, 1)
        self.ready = asyncio.Event()
        self.sent: list[tuple[float, int, str | None]] = []  # (time, op, event name)
        self.received: list[tuple[float, dict[str, Any]]] = []
        self.heartbeats = HeartbeatMonitor(server.heartbeat_interval_ms / 1000)
        self._seq = 0
        self._send_lock = asyncio.Lock()
        self._probe: asyncio.Task | None = None

    @property
    def closed(self) -> bool:
        return self.ws.closed

    def owns_guild(self, guild_id: int | None = None) -> bool:
        """This session's shard serves `guild_id` (default: the world's first guild)."""
        world = self.server.world
        guild = world.guild if guild_id is None else world.guilds[guild_id]
        return guild.shard(self.shard[1]) == self.shard[0]

    def owned_guilds(self) -> list:
        return self.server.world.guilds_on_shard(*self.shard)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            if self.ws.closed:
                raise ConnectionError("gateway session closed")
            self.sent.append((time.monotonic(), message["op"], message.get("t")))
            await self.ws.send_str(json.dumps(message))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await self.send({"op": DISPATCH, "t": event, "s": self._next_seq(), "d": data})

    async def serve(self) -> None:
        """Run the session until the client (or the server's shutdown) closes it."""
        interval_ms = self.server.heartbeat_interval_ms
        await self.send(
            {
                "op": HELLO,
                "s": None,
                "t": None,
                "d": {"heartbeat_interval": interval_ms, "_trace": ["stand-in"]},
            }
        )
        try:
            async for msg in self.ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._handle(json.loads(msg.data))
        finally:
            await self.stop_probe(drain=0)

    async def _handle(self, msg: dict[str, Any]) -> None:
        now = time.monotonic()
        self.received.append((now, msg))
        op, data = msg.get("op"), msg.get("d")
        if op == HEARTBEAT:
            self.heartbeats.received(data, now)
            await self.send({"op": HEARTBEAT_ACK, "s": self._next_seq(), "d": None})
        elif op == IDENTIFY:
            await self._identify(data)
        elif op == RESUME:
            await self.send({"op": INVALID_SESSION, "d": False})
        elif op == REQUEST_GUILD_MEMBERS:
            await self.dispatch(
                "GUILD_MEMBERS_CHUNK",
                {
                    "guild_id": str(data.get("guild_id") or self.server.world.guild_id),
                    "members": [u.member_payload() for u in self.server.world.users.values()],
                    "chunk_index": 0,
                    "chunk_count": 1,
                    "not_found": [],
                    "nonce": data.get("nonce"),
                },
            )

    async def _identify(self, data: dict[str, Any]) -> None:
        if data.get("token") != self.server.token:
            await self.ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        self.identify = data
        if data.get("shard"):
            self.shard = (int(data["shard"][0]), int(data["shard"][1]))
        world = self.server.world
        guilds = self.owned_guilds()
        await self.dispatch(
            "READY",
            world.ready_payload(
                session_id=self.session_id,
                resume_url=self.server.gateway_url,
                shard=list(self.shard) if data.get("shard") else None,
                guilds=guilds,
            ),
        )
        members_intent = bool(int(data.get("intents") or 0) & GUILD_MEMBERS_INTENT)
        for guild in guilds:
            await self.dispatch("GUILD_CREATE", world.guild_payload(guild, with_members=members_intent))
        self.ready.set()
        self.server.session_ready(self)

    # ---- heartbeat requests ---------------------------------------------------------------

    def start_probe(self, period: float) -> None:
        if self._probe is None:
            self._probe = asyncio.create_task(self._run_probe(period), name="heartbeat-probe")

    async def stop_probe(self, *, drain: float) -> None:
        """Stop requesting heartbeats; give pending answers up to `drain` seconds to arrive."""
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
            self._probe = None
        deadline = time.monotonic() + drain
        # Polling: answers are noticed in _handle, which has no waiter to notify, and this runs
        # once per probe, so a 10 ms poll costs nothing.
        while self.heartbeats.unanswered and time.monotonic() < deadline and not self.closed:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    async def _run_probe(self, period: float) -> None:
        start = time.monotonic()
        k = 1
        while not self.closed:
            due = start + k * period
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            marker = self._next_seq()
            # Registered before sending, so an instant answer always finds its request.
            self.heartbeats.requested(HeartbeatRequest(marker, due, time.monotonic()))
            try:
                await self.send({"op": HEARTBEAT, "s": marker, "t": None, "d": None})
            except (ConnectionError, ConnectionResetError):
                return
            # Requests missed while the loop was blocked are skipped, not sent in a burst that
            # the client's rate limiter would then delay; the late one already counts the lag.
            k = max(k + 1, math.floor((time.monotonic() - start) / period) + 1)

    async def close(self) -> None:
        await self.stop_probe(drain=0)
        if not self.ws.closed:
            await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"stand-in shutting down")
