"""Caps on jobs running at once (per guild, and in all) with a bounded queue that takes turns.

Waiting jobs take turns by round, as in round-robin fair queueing: a user's first job joins the
current round, each further job of theirs the round after their previous one. So one user's flood
spreads over many rounds, and someone else's single request, joining the current round, goes
ahead of all of it but the first. And while there is more than one slot, one user never holds all
of them: a slot stays free for whoever comes next, so their request starts at once instead of
waiting for the flood's current job. Positions follow the same order, and each waiting job is
told when its position changes so the user can watch it move.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field


class QueueFullError(Exception):
    """The queue holds `size` jobs already."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the queue is full ({size} waiting)")
        self.size = size


@dataclass(eq=False)
class Ticket:
    """One job's place: granted (running) or waiting, with its latest queue position."""

    user_id: int
    guild_id: int | None
    order: int
    round: int
    granted: asyncio.Future[None] = field(repr=False)
    position: int = 0  # 1-based while waiting; 0 once running
    moved: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


class FairScheduler:
    def __init__(self, *, concurrency: int, per_guild: int, queue_size: int) -> None:
        if concurrency < 1 or per_guild < 1 or queue_size < 0:
            raise ValueError("concurrency and per_guild must be >= 1, queue_size >= 0")
        self.concurrency = concurrency
        self.per_guild = per_guild
        self.queue_size = queue_size
        self._running: set[Ticket] = set()
        self._by_guild: Counter[int | None] = Counter()
        self._by_user: Counter[int] = Counter()
        self.per_user = max(1, concurrency - 1)
        self._waiting: list[Ticket] = []
        self._orders = itertools.count()
        self._round = 0  # the round of the job started last
        self._last_round: dict[int, int] = {}  # per user, the round of their latest job

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def enter(self, user_id: int, guild_id: int | None) -> Ticket:
        """A ticket that runs at once or waits (await `ticket.granted`); QueueFullError if full."""
        loop = asyncio.get_running_loop()
        turn = max(self._round, self._last_round.get(user_id, 0) + 1)
        ticket = Ticket(user_id, guild_id, next(self._orders), turn, loop.create_future())
        if self._may_run(ticket) and not self._waiting:
            self._last_round[user_id] = turn
            self._start(ticket)
            return ticket
        if len(self._waiting) >= self.queue_size:
            raise QueueFullError(self.queue_size)
        self._last_round[user_id] = turn
        self._waiting.append(ticket)
        self._advance()
        return ticket

    def leave(self, ticket: Ticket) -> None:
        """The job finished (or gave up waiting): free its slot and let the next one in."""
        if ticket in self._running:
            self._running.discard(ticket)
            self._by_guild[ticket.guild_id] -= 1
            self._by_user[ticket.user_id] -= 1
        elif ticket in self._waiting:
            self._waiting.remove(ticket)
        self._advance()

    def _may_run(self, ticket: Ticket) -> bool:
        return (
            len(self._running) < self.concurrency
            and self._by_guild[ticket.guild_id] < self.per_guild
            and self._by_user[ticket.user_id] < self.per_user
        )

    def _start(self, ticket: Ticket) -> None:
        self._running.add(ticket)
        self._by_guild[ticket.guild_id] += 1
        self._by_user[ticket.user_id] += 1
        if ticket.round > self._round:
            self._round = ticket.round
            # Users whose latest round has passed start afresh at the current one anyway.
            self._last_round = {u: r for u, r in self._last_round.items() if r >= self._round}
        ticket.position = 0
        if not ticket.granted.done():
            ticket.granted.set_result(None)

    def _advance(self) -> None:
        """Start every waiting job that may run now, in turn order; renumber the rest."""
        self._waiting.sort(key=lambda t: (t.round, t.order))
        for ticket in list(self._waiting):
            if self._may_run(ticket):
                self._waiting.remove(ticket)
                self._start(ticket)
                ticket.moved.set()
        self._waiting.sort(key=lambda t: (t.round, t.order))
        for position, ticket in enumerate(self._waiting, start=1):
            if ticket.position != position:
                ticket.position = position
                ticket.moved.set()
