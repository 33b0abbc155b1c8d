"""A shutdown decides whom to tell "I had to restart" only once every callback still travelling
to Discord has answered: one that outlived its task's grace (a loaded machine) would otherwise
read as unanswered, and the bot would answer its interaction twice (Discord refuses that)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.interactions import responses
from bot.interactions.inflight import InFlight


@pytest.mark.asyncio
async def test_drain_waits_for_a_callback_that_outlived_its_tasks_grace(monkeypatch):
    monkeypatch.setattr(responses, "SEND_GRACE_S", 0.05)  # the task gives up on it at once
    answered = asyncio.Event()

    async def slow_callback() -> None:  # a deferral Discord takes a while to answer
        await asyncio.sleep(0.5)
        answered.set()

    async def handler() -> None:
        await responses.uninterrupted(slow_callback())
        await asyncio.sleep(60)  # the work after it, cut off by the shutdown

    inflight = InFlight()
    interaction = SimpleNamespace(extras={})
    task = asyncio.ensure_future(handler())
    inflight.add(task, interaction)
    await asyncio.sleep(0.01)  # the callback is on its way
    left = await inflight.drain(grace_s=0.01)
    assert answered.is_set()  # drain came back only once the callback had answered
    assert left == [interaction] and task.cancelled()
