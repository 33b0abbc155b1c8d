"""`ServerRules`: each server's effective rules and each user's preferences, read through a cache.

A command reads its server's rules and its user's preferences on every interaction, so they
come from memory: a server's rules are loaded once (one small query) and kept until a change.
A change made in this process clears the cache at once; a change made by another process
(another shard, on PostgreSQL) is seen by polling the one settings-version row every
`POLL_S`, off the commands' path. SQLite serves one process, which sees its own changes: it
reads every setting and preference once at start (`preload`) and never on a command's path
(each SQLite transaction takes the file's write lock, which the audit writer and training
share), and keeps its copy up to date as it writes.

A database that cannot be read leaves a command on the operator's values (one warning line):
/digit must keep working without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from typing import Any

from bot.guild_rules.model import GuildRules, OperatorBounds, resolve
from bot.guild_rules.store import SettingsStore

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 6 * 3600.0  # audit rows past retention go this often, as the generations' do
POLL_S = 0.25  # a change on another process applies within this (plus one query) everywhere
MAX_CACHED_USERS = 50_000  # preferences of recent users; older ones are read again if they return
WARN_EVERY_S = 60.0


class ServerRules:
    def __init__(
        self,
        bounds: OperatorBounds,
        store: SettingsStore | None = None,
        *,
        poll: bool = False,
        preload: bool = False,
        poll_s: float = POLL_S,
    ) -> None:
        self.bounds = bounds
        self.store = store
        self._poll = poll and store is not None
        self._poll_s = poll_s
        self._guilds: dict[int, GuildRules] = {}
        self._users: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._generation = 0  # bumped on each clear: a load that straddles one is not kept
        self._loading: dict[tuple[str, int], asyncio.Future] = {}
        self._preload = preload and store is not None
        # With preload: every stored setting and preference, kept current by this process.
        self._all: tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]] | None = None
        self._version: int | None = None
        self.version_checks = 0  # how many times the settings version was read (tests count them)
        self._polling: asyncio.Task | None = None
        self._pruning: asyncio.Task | None = None
        # Set by close(): the loops finish the query under way and stop. Cancelling them
        # mid-query would leave the driver's thread answering a loop that may be gone.
        self._closing = asyncio.Event()
        self._warned_at = -WARN_EVERY_S
        self.defaults = resolve({}, bounds, None)

    @property
    def stored(self) -> bool:
        """Whether settings can be changed (there is a database to keep them)."""
        return self.store is not None

    async def rules(self, guild_id: int | None) -> GuildRules:
        if guild_id is None or self.store is None:
            return self.defaults
        cached = self._guilds.get(guild_id)
        if cached is not None:
            return cached
        if self._all is not None:
            rules = self._guilds[guild_id] = resolve(self._all[0].get(guild_id, {}), self.bounds, guild_id)
            return rules
        stored = await self._load(("guild", guild_id), self.store.guild, guild_id)
        if stored is None:
            return self.defaults
        rules = resolve(stored[0], self.bounds, guild_id)
        if stored[1] == self._generation:
            self._guilds[guild_id] = rules
        return rules

    async def preferences(self, user_id: int) -> dict[str, Any]:
        if self.store is None:
            return {}
        if self._all is not None:
            return self._all[1].get(user_id, {})
        cached = self._users.get(user_id)
        if cached is not None:
            self._users.move_to_end(user_id)
            return cached
        loaded = await self._load(("user", user_id), self.store.preferences, user_id)
        if loaded is None:
            return {}
        found, generation = loaded
        if generation == self._generation:
            self._users[user_id] = found
            if len(self._users) > MAX_CACHED_USERS:
                self._users.popitem(last=False)
        return found

    async def _load(self, key: tuple[str, int], read, owner: int) -> tuple[dict, int] | None:
        """One read per key at a time: a burst of commands from one server or user after a
        change waits for the same query instead of queueing one each for the database.
        The rows, and the cache generation they were read in; None when the read failed."""
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(self._read(read, owner))
            self._loading[key] = loading
            loading.add_done_callback(lambda _: self._loading.pop(key, None))
        return await asyncio.shield(loading)

    async def _read(self, read, owner: int) -> tuple[dict, int] | None:
        generation = self._generation
        try:
            return await read(owner), generation
        except Exception as exc:
            self._warn(exc)
            return None

    async def set_guild(self, guild_id: int, key: str, value: Any, *, actor_id: int) -> Any:
        try:
            old = await self._required().set_guild(guild_id, key, value, actor_id=actor_id)
            if self._all is not None:
                _put(self._all[0], guild_id, key, value)
            return old
        finally:
            self.clear()

    async def set_preference(self, user_id: int, key: str, value: Any) -> Any:
        try:
            old = await self._required().set_preference(user_id, key, value)
            if self._all is not None:
                _put(self._all[1], user_id, key, value)
            return old
        finally:
            self.clear()

    async def forget_user(self, user_id: int) -> None:
        try:
            await self._required().forget_user(user_id)
            if self._all is not None:
                self._all[1].pop(user_id, None)
        finally:
            self.clear()

    def clear(self) -> None:
        self._generation += 1
        self._guilds.clear()
        self._users.clear()

    def _required(self) -> SettingsStore:
        if self.store is None:
            raise RuntimeError("settings need the bot's database")
        return self.store

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning("could not read server settings (%s): the operator's values apply", exc)

    # -- seeing other processes' changes ----------------------------------------------------

    async def start(self) -> None:
        if self._preload and self._all is None:
            try:
                self._all = await self._required().everything()
            except Exception as exc:  # read lazily, per server and user, instead
                self._warn(exc)
        loop = asyncio.get_running_loop()
        if self._poll and self._polling is None:
            self._polling = loop.create_task(self._watch())
        if self.store is not None and self._pruning is None:
            self._pruning = loop.create_task(self._prune_regularly())

    async def _prune_regularly(self) -> None:
        assert self.store is not None
        while not self._closing.is_set():
            try:
                await self.store.prune()
            except Exception as exc:
                log.warning("could not prune the settings audit: %s", exc)
            await self._pause(PRUNE_EVERY_S)

    async def _watch(self) -> None:
        while not self._closing.is_set():
            try:
                await self.check_version()
            except Exception as exc:  # the database went away: its own retry finds it again
                self._warn(exc)
            await self._pause(self._poll_s)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._closing.wait()

    async def check_version(self) -> None:
        """Clear the cache if another process changed a setting since the last check."""
        version = await self._required().version()
        self.version_checks += 1
        if self._version is not None and version != self._version:
            self.clear()
        self._version = version

    async def close(self) -> None:
        """Stop polling and pruning, and let every query under way finish: the database is
        closed next."""
        self._closing.set()
        tasks = [t for t in (self._polling, self._pruning, *self._loading.values()) if t is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        self._polling = self._pruning = None


def _put(table: dict[int, dict[str, Any]], owner: int, key: str, value: Any) -> None:
    if value is None:
        table.get(owner, {}).pop(key, None)
    else:
        table.setdefault(owner, {})[key] = value
