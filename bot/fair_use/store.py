"""Per-user usage state: when each cooldown ends and how many jobs each user has in flight.

Behind `UsageStore` so that several processes serving one bot can share it (a database: see
bot.fair_use.shared_store) while one process keeps it in memory; nothing else in bot.fair_use
keeps per-user state. `take` checks the user's limits and records the job (and its cooldown)
in one step, so two requests of one user arriving at once, on one process or two, cannot both
pass a check neither has recorded yet.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

PRUNE_AT = 10_000


class UsageLimited(Exception):
    """`take` refused: `code` is "cooldown" (`wait_s` until it ends) or "too_many_jobs"."""

    def __init__(self, code: str, wait_s: float = 0.0) -> None:
        super().__init__(code)
        self.code = code
        self.wait_s = wait_s


@dataclass(eq=False)
class Taken:
    """What `take` recorded, for `undo` or `finish`; `job` is the store's own handle."""

    user_id: int
    command: str
    cooldown_ends: float | None  # the store's own clock; None: no cooldown was started
    job: object = None
    store: object = field(default=None, repr=False)  # the store that recorded it


class UsageStore(Protocol):
    async def take(self, user_id: int, command: str, *, cooldown_s: float, jobs_limit: int | None) -> Taken:
        """Record a job of `user_id` (and start `command`'s cooldown when `cooldown_s` > 0), or
        raise UsageLimited if a cooldown runs or the user has `jobs_limit` jobs (None: no limit)."""

    async def undo(self, taken: Taken) -> None:
        """The job was refused after all (the queue is full): as if `take` never happened."""

    def finish(self, taken: Taken) -> None:
        """The job is over, however it ended. Synchronous (done callbacks call it): a store
        that needs I/O schedules it."""

    async def close(self) -> None: ...


class InMemoryUsageStore:
    """The store for one process; state is lost on restart, which only forgives cooldowns."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cooldowns: dict[tuple[int, str], float] = {}
        self._jobs: Counter[int] = Counter()

    def cooldown_ends(self, user_id: int, command: str) -> float | None:
        return self._cooldowns.get((user_id, command))

    async def take(self, user_id: int, command: str, *, cooldown_s: float, jobs_limit: int | None) -> Taken:
        return self.take_now(user_id, command, cooldown_s=cooldown_s, jobs_limit=jobs_limit)

    def take_now(self, user_id: int, command: str, *, cooldown_s: float, jobs_limit: int | None) -> Taken:
        now = self._clock()
        ends = self._cooldowns.get((user_id, command))
        if ends is not None and ends > now:
            raise UsageLimited("cooldown", ends - now)
        if jobs_limit is not None and self._jobs[user_id] >= jobs_limit:
            raise UsageLimited("too_many_jobs")
        self._jobs[user_id] += 1
        new_ends = None
        if cooldown_s > 0:
            new_ends = now + cooldown_s
            self._start_cooldown(user_id, command, new_ends)
        return Taken(user_id, command, new_ends, store=self)

    def _start_cooldown(self, user_id: int, command: str, ends: float) -> None:
        if len(self._cooldowns) >= PRUNE_AT:  # a big community: forget cooldowns that are over
            now = self._clock()
            self._cooldowns = {k: v for k, v in self._cooldowns.items() if v > now}
        self._cooldowns[(user_id, command)] = ends

    async def undo(self, taken: Taken) -> None:
        key = (taken.user_id, taken.command)
        if taken.cooldown_ends is not None and self._cooldowns.get(key) == taken.cooldown_ends:
            del self._cooldowns[key]
        self.finish(taken)

    def finish(self, taken: Taken) -> None:
        self._jobs[taken.user_id] -= 1
        if self._jobs[taken.user_id] <= 0:
            del self._jobs[taken.user_id]

    async def close(self) -> None:
        pass
