"""The worker pool: blocking work off the loop, bounded, with a timeout."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.exceptions import CommandTimeoutError
from bot.worker_pool import WorkerPool


@pytest.fixture
def pool():
    with WorkerPool(workers=2, timeout_s=5.0) as pool:
        yield pool


@pytest.mark.asyncio
async def test_runs_the_call_in_a_worker_thread_and_returns_its_result(pool):
    name = await pool.run(lambda: threading.current_thread().name)
    assert name.startswith("genai-worker")


@pytest.mark.asyncio
async def test_passes_arguments_and_keywords(pool):
    assert await pool.run(divmod, 17, 5) == (3, 2)
    assert await pool.run(int, "ff", base=16) == 255


@pytest.mark.asyncio
async def test_never_runs_more_calls_at_once_than_workers(pool):
    running, peak, lock = 0, 0, threading.Lock()

    def work():
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    await asyncio.gather(*(pool.run(work) for _ in range(8)))
    assert peak == 2


@pytest.mark.asyncio
async def test_the_event_loop_keeps_ticking_while_calls_block(pool):
    gaps: list[float] = []

    async def ticker():
        last = time.perf_counter()
        for _ in range(20):
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    await asyncio.gather(ticker(), pool.run(time.sleep, 0.3), pool.run(time.sleep, 0.3))
    assert max(gaps) < 0.1


@pytest.mark.asyncio
async def test_a_slow_call_raises_command_timeout_with_its_limit(pool):
    with pytest.raises(CommandTimeoutError) as caught:
        await pool.run(time.sleep, 1.0, timeout_s=0.1)
    assert caught.value.code == "command_timeout"
    assert caught.value.params["seconds"] == 0.1


@pytest.mark.asyncio
async def test_a_queued_call_that_times_out_never_runs():
    ran = threading.Event()
    with WorkerPool(workers=1, timeout_s=5.0) as pool:
        blocker = asyncio.ensure_future(pool.run(time.sleep, 0.3))
        await asyncio.sleep(0.02)  # let the blocker take the only worker
        with pytest.raises(CommandTimeoutError):
            await pool.run(ran.set, timeout_s=0.05)
        await blocker
        await pool.run(time.sleep, 0.05)  # anything still queued would have run by now
    assert not ran.is_set()


@pytest.mark.asyncio
async def test_a_timeout_error_raised_by_the_call_itself_is_not_renamed(pool):
    def fails():
        raise TimeoutError("socket")

    with pytest.raises(TimeoutError, match="socket") as caught:
        await pool.run(fails)
    assert not isinstance(caught.value, CommandTimeoutError)


@pytest.mark.asyncio
async def test_infinite_timeout_waits_as_long_as_it_takes(pool):
    assert await pool.run(lambda: time.sleep(0.05) or "loaded", timeout_s=float("inf")) == "loaded"


def test_refuses_a_pool_without_workers():
    with pytest.raises(ValueError, match="workers"):
        WorkerPool(workers=0, timeout_s=1.0)
