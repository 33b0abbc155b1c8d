"""A fair waiting line in front of a text service that serves only so many requests at once.

Local servers serve a fixed number of requests (llama.cpp's `--parallel`, Ollama's
`OLLAMA_NUM_PARALLEL`); llama-cpp-python's server even ends a running stream when a new request
arrives. So the poet sends at most `limit` requests to an endpoint at once; the rest wait in
first-come order, are told their place as it changes, and a full line refuses newcomers at once
rather than keeping them waiting for minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable

from genai_models.errors import RateLimitedError

PositionListener = Callable[[int], None]


class _Waiter:
    __slots__ = ("granted", "on_position")

    def __init__(self, granted: asyncio.Future[None], on_position: PositionListener | None):
        self.granted = granted
        self.on_position = on_position


class Slots:
    """At most `limit` holders at once; up to `max_waiting` more wait in line (FIFO)."""

    def __init__(self, limit: int, *, max_waiting: int) -> None:
        if limit < 1:
            raise ValueError("a text service needs at least one slot")
        self._limit = limit
        self._max_waiting = max_waiting
        self._holders = 0
        self._line: deque[_Waiter] = deque()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def holders(self) -> int:
        return self._holders

    @property
    def waiting(self) -> int:
        return len(self._line)

    @contextlib.asynccontextmanager
    async def hold(self, on_position: PositionListener | None = None) -> AsyncIterator[None]:
        """Hold a slot for the block; wait in line first if none is free.

        `on_position(n)` is called with the place in line (1: next) on joining and whenever it
        changes. A full line raises RateLimitedError("poem_queue_full") at once.
        """
        if self._holders < self._limit and not self._line:
            self._holders += 1
        else:
            await self._wait(on_position)
        try:
            yield
        finally:
            self._release()

    async def _wait(self, on_position: PositionListener | None) -> None:
        if len(self._line) >= self._max_waiting:
            raise RateLimitedError(code="poem_queue_full")
        waiter = _Waiter(asyncio.get_running_loop().create_future(), on_position)
        self._line.append(waiter)
        if on_position is not None:
            on_position(len(self._line))
        try:
            await waiter.granted
        except BaseException:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._release()  # the slot was handed over just as the waiter gave up
            elif waiter in self._line:  # a release may already have dropped it
                self._line.remove(waiter)
                self._tell_positions()
            raise

    def _release(self) -> None:
        # The slot passes straight to the first in line, so nobody can overtake a waiter.
        while self._line:
            waiter = self._line.popleft()
            if not waiter.granted.done():
                waiter.granted.set_result(None)
                self._tell_positions()
                return
        self._holders -= 1

    def _tell_positions(self) -> None:
        for position, waiter in enumerate(self._line, start=1):
            if waiter.on_position is not None:
                waiter.on_position(position)
