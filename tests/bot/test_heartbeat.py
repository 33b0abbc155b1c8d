"""The event loop stays free while models run: heartbeats are answered promptly under load.

The one timing assertion the issue asks for (generous: 250 ms, where an idle loop answers in
about a millisecond). The stand-in shares the test's event loop, so if the bot blocked the loop
the delay would show in these latencies.

As `genai-bot run` does once its models are loaded (bot/ops/gc_pauses.py), the test first exempts what is
alive from garbage collection: otherwise a full collection of this process's heap (TensorFlow,
the models, pytest and every fixture) stalls the loop for 100-300 ms, whoever is serving.
"""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from bot.ops.gc_pauses import freeze_startup_objects
from tests.fakes.discord_server import percentile
from tests.helpers import image_of

CONCURRENT_MORPHS = 20
HEARTBEAT_LIMIT_S = 0.25
PROBE_PERIOD_S = 0.6  # discord.py answers through its ~2-per-second gateway rate limiter
BEATS_UNDER_LOAD = 5


def _beats_due_between(server, start: float, end: float):
    return [
        request
        for session in server.sessions
        for request in session.heartbeats.requests
        if start <= request.due_at <= end
    ]


@pytest.mark.asyncio
async def test_heartbeats_are_answered_within_250_ms_while_20_morphs_run(discord_server, start_bot):
    """20 users keep a /morph in flight each (a new one as soon as theirs lands) until enough
    heartbeats were requested during the load to measure."""
    replies = []
    calls = []

    async def user(k: int) -> None:
        while len(_beats_due_between(discord_server, started, time.monotonic())) < BEATS_UNDER_LOAD:
            ix = await discord_server.inject_command(
                "morph", {"start": k % 10, "end": (k + 3) % 10, "frames": 24}
            )
            replies.append(await discord_server.wait_for_reply(ix, lambda r: r.files, timeout=60))
            calls.append(await ix.wait_for_callback())

    async with start_bot(workers=2):
        freeze_startup_objects()
        try:
            async with discord_server.heartbeat_probe(period=PROBE_PERIOD_S):
                started = time.monotonic()
                async with asyncio.timeout(120):
                    await asyncio.gather(*(user(k) for k in range(CONCURRENT_MORPHS)))
                ended = time.monotonic()
        finally:
            gc.unfreeze()  # the freeze is process-wide: the other tests get their collector back
    under_load = _beats_due_between(discord_server, started, ended)
    latencies = [beat.latency for beat in under_load]
    assert len(replies) >= CONCURRENT_MORPHS
    assert all(image_of(r.files[0].data).n_frames == 2 * 24 - 2 for r in replies[:3])
    assert all(c.elapsed < 3.0 for c in calls)  # each answered or deferred inside the window
    assert None not in latencies, "a heartbeat requested under load was never answered"
    assert len(latencies) >= BEATS_UNDER_LOAD
    assert percentile(latencies, 99) <= HEARTBEAT_LIMIT_S, sorted(latencies)
    assert discord_server.errors == []
