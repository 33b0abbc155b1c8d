"""How late the event loop runs what is due: a blocked loop delays every reply, heartbeat and
edit at once, so its lag is the first thing to look at when the bot feels slow.

A task asks to wake every `interval_s`; how much later than asked it wakes is the time the
loop spent on something else (a blocking call, a long callback, a starved process).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from prometheus_client import Histogram

INTERVAL_S = 0.5  # often enough to catch a stall that users notice, cheap enough to forget


class LoopLagMonitor:
    """Observes the loop's lag into `histogram` while started; `async with` or start()/stop()."""

    def __init__(self, histogram: Histogram, *, interval_s: float = INTERVAL_S) -> None:
        self._histogram = histogram
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self._interval_s)
            self._histogram.observe(max(0.0, time.perf_counter() - asked - self._interval_s))
