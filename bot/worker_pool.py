"""One bounded thread pool for every blocking call the bot makes (TensorFlow, Pillow, disk).

The event loop must keep answering Discord heartbeats while models run, so nothing heavy runs on
it. A single pool sized to the machine's cores keeps model calls from oversubscribing the CPU,
and a timeout turns a stuck call into a clear reply instead of a silent hang.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.exceptions import CommandTimeoutError

log = logging.getLogger(__name__)

T = TypeVar("T")


class WorkerPool:
    """A bounded `ThreadPoolExecutor` with an asyncio timeout around every call.

    Jobs still waiting in the queue when their timeout expires are cancelled, so a burst of
    requests cannot leave a backlog of work nobody is waiting for.
    """

    def __init__(self, *, workers: int, timeout_s: float) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.workers = workers
        self.timeout_s = timeout_s
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="genai-worker")
        self._busy = 0
        self._busy_lock = threading.Lock()

    @property
    def busy(self) -> int:
        """Threads running a job right now (for the metrics)."""
        return self._busy

    def _counted(self, call: Callable[[], T]) -> T:
        with self._busy_lock:
            self._busy += 1
        try:
            return call()
        finally:
            with self._busy_lock:
                self._busy -= 1

    async def run(
        self, func: Callable[..., T], /, *args: Any, timeout_s: float | None = None, **kwargs: Any
    ) -> T:
        """Run `func(*args, **kwargs)` in the pool; raise CommandTimeoutError after the timeout.

        `timeout_s=None` uses the pool's default; `float("inf")` waits as long as it takes
        (model loading at start-up).
        """
        loop = asyncio.get_running_loop()
        call = functools.partial(func, *args, **kwargs)
        limit = self.timeout_s if timeout_s is None else timeout_s
        deadline = None if limit == float("inf") else loop.time() + limit
        scope = asyncio.timeout_at(deadline)
        try:
            async with scope:
                return await loop.run_in_executor(self._executor, self._counted, call)
        except TimeoutError:
            if not scope.expired():  # the job itself raised TimeoutError: not ours to rename
                raise
            name = getattr(func, "__qualname__", repr(func))
            log.warning("blocking call %s timed out after %.1f s", name, limit)
            raise CommandTimeoutError(seconds=limit) from None

    def close(self) -> None:
        """Stop accepting work and drop queued jobs; running ones finish in their threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def run_in_daemon_thread(func: Callable[[], T], *, name: str) -> T:
    """Run `func` in a thread of its own that does not hold up the process's exit.

    For start-up work (TensorFlow's import and the model's warm-up take many seconds): a stop
    requested meanwhile cancels the wait here and the process exits at once, abandoning the
    thread, where a pool's thread would be joined, and the stop would wait, until it finished.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def run() -> None:
        try:
            result = func()
        except BaseException as exc:  # handed to the awaiting task, which reports it
            deliver = functools.partial(settle, functools.partial(future.set_exception, exc))
        else:
            deliver = functools.partial(settle, functools.partial(future.set_result, result))
        try:
            loop.call_soon_threadsafe(deliver)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future
