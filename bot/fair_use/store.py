"""Per-user usage state: when each cooldown ends and how many jobs each user has in flight.

Behind `UsageStore` so a shared database can take the in-memory store's place when several
processes serve one bot; nothing else in bot.fair_use keeps per-user state.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

PRUNE_AT = 10_000


class UsageStore(Protocol):
    def cooldown_ends(self, user_id: int, command: str) -> float | None:
        """The monotonic time the user's cooldown for `command` ends, or None."""

    def start_cooldown(self, user_id: int, command: str, ends: float) -> None: ...

    def jobs_of(self, user_id: int) -> int:
        """Jobs of this user admitted and not finished (running or queued)."""

    def job_started(self, user_id: int) -> None: ...

    def job_finished(self, user_id: int) -> None: ...


class InMemoryUsageStore:
    """The store for one process; state is lost on restart, which only forgives cooldowns."""

    def __init__(self) -> None:
        self._cooldowns: dict[tuple[int, str], float] = {}
        self._jobs: Counter[int] = Counter()

    def cooldown_ends(self, user_id: int, command: str) -> float | None:
        return self._cooldowns.get((user_id, command))

    def start_cooldown(self, user_id: int, command: str, ends: float) -> None:
        if len(self._cooldowns) >= PRUNE_AT:  # a big community: forget cooldowns that are over
            now = min(ends, *self._cooldowns.values())
            self._cooldowns = {k: v for k, v in self._cooldowns.items() if v > now}
        self._cooldowns[(user_id, command)] = ends

    def jobs_of(self, user_id: int) -> int:
        return self._jobs[user_id]

    def job_started(self, user_id: int) -> None:
        self._jobs[user_id] += 1

    def job_finished(self, user_id: int) -> None:
        self._jobs[user_id] -= 1
        if self._jobs[user_id] <= 0:
            del self._jobs[user_id]
