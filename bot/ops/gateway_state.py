"""Which gateway shards of this process are connected, for /readyz and /metrics.

A shard counts as connected from its READY (its guilds received) or RESUMED until its
websocket drops, as discord.py's own events report it (`shard_ready`, `shard_resumed`,
`shard_disconnect`; unsharded: `ready`, `resumed`, `disconnect`, as shard 0). The shards
listed are the ones this process holds: SHARD_IDS, else all of the shard count once known
(an unsharded bot is shard 0 of 1), so a shard that never connected shows up as missing
rather than being left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from bot.client import GenAIBot


@dataclass(frozen=True)
class ShardState:
    connected: bool
    latency_s: float | None  # the last heartbeat's round trip; None before the first


class GatewayState:
    def __init__(self, bot: GenAIBot) -> None:
        self.bot = bot
        self._up: set[int] = set()
        if isinstance(bot, commands.AutoShardedBot):
            bot.add_listener(self._shard_up, "on_shard_ready")
            bot.add_listener(self._shard_up, "on_shard_resumed")
            bot.add_listener(self._shard_down, "on_shard_disconnect")
        else:
            bot.add_listener(self._up_0, "on_ready")
            bot.add_listener(self._up_0, "on_resumed")
            bot.add_listener(self._down_0, "on_disconnect")

    async def _shard_up(self, shard_id: int) -> None:
        self._up.add(shard_id)

    async def _shard_down(self, shard_id: int) -> None:
        self._up.discard(shard_id)

    async def _up_0(self) -> None:
        self._up.add(0)

    async def _down_0(self) -> None:
        self._up.discard(0)

    def held(self) -> list[int]:
        """The shard ids this process runs (empty while a sharded bot's count is unknown)."""
        bot = self.bot
        if not isinstance(bot, commands.AutoShardedBot):
            return [0]
        if bot.shard_ids is not None:
            return sorted(bot.shard_ids)
        if bot.shard_count is not None:
            return list(range(bot.shard_count))
        return sorted(bot.shards)

    def states(self) -> dict[int, ShardState]:
        bot = self.bot
        closed = bot.is_closed()
        states = {}
        for shard_id in self.held():
            if isinstance(bot, commands.AutoShardedBot):
                info = bot.get_shard(shard_id)
                latency = info.latency if info is not None else None
                open_ = info is not None and not info.is_closed()
            else:
                latency, open_ = bot.latency, True
            connected = shard_id in self._up and open_ and not closed
            finite = latency is not None and math.isfinite(latency)
            states[shard_id] = ShardState(connected, latency if finite and connected else None)
        return states
