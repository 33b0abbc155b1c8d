"""The waiting line in front of one text service: fair, told its places, bounded."""

from __future__ import annotations

import asyncio

import pytest

from genai_models.errors import RateLimitedError
from genai_models.text.slots import Slots


async def _hold_until(slots: Slots, release: asyncio.Event, order: list[str], name: str, positions):
    async with slots.hold(lambda position: positions.setdefault(name, []).append(position)):
        order.append(name)
        await release.wait()


@pytest.mark.asyncio
async def test_holders_beyond_the_limit_wait_and_go_in_the_order_they_came():
    slots = Slots(1, max_waiting=5)
    order: list[str] = []
    positions: dict[str, list[int]] = {}
    releases = {name: asyncio.Event() for name in "abc"}
    tasks = []
    for name in "abc":
        tasks.append(asyncio.create_task(_hold_until(slots, releases[name], order, name, positions)))
        await asyncio.sleep(0)  # let each join the line before the next arrives
    await asyncio.sleep(0.01)
    assert order == ["a"] and slots.waiting == 2

    for name in "abc":
        releases[name].set()
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)

    assert order == ["a", "b", "c"]
    assert "a" not in positions  # a free slot: no waiting, nothing to tell
    assert positions == {"b": [1], "c": [2, 1]}  # c is told when b's turn moves it up
    assert slots.holders == 0 and slots.waiting == 0


@pytest.mark.asyncio
async def test_a_full_line_refuses_a_newcomer_at_once():
    slots = Slots(1, max_waiting=1)
    release = asyncio.Event()
    held = asyncio.create_task(_hold_until(slots, release, [], "a", {}))
    waiting = asyncio.create_task(_hold_until(slots, release, [], "b", {}))
    await asyncio.sleep(0.01)

    with pytest.raises(RateLimitedError) as caught:
        async with slots.hold():
            pass

    assert caught.value.code == "poem_queue_full"
    assert "try again in a minute" in str(caught.value)
    release.set()
    await asyncio.gather(held, waiting)


@pytest.mark.asyncio
async def test_a_waiter_who_gives_up_leaves_the_line_and_those_behind_move_up():
    slots = Slots(1, max_waiting=5)
    release = asyncio.Event()
    positions: dict[str, list[int]] = {}
    order: list[str] = []
    held = asyncio.create_task(_hold_until(slots, release, order, "a", positions))
    await asyncio.sleep(0)
    quitter = asyncio.create_task(_hold_until(slots, release, order, "b", positions))
    await asyncio.sleep(0)
    patient = asyncio.create_task(_hold_until(slots, release, order, "c", positions))
    await asyncio.sleep(0.01)

    quitter.cancel()
    await asyncio.sleep(0.01)
    assert positions["c"] == [2, 1] and slots.waiting == 1
    release.set()
    await asyncio.gather(held, patient)

    assert order == ["a", "c"]
    assert slots.holders == 0


@pytest.mark.asyncio
async def test_up_to_the_limit_hold_at_once():
    slots = Slots(2, max_waiting=0)
    release = asyncio.Event()
    order: list[str] = []
    tasks = [asyncio.create_task(_hold_until(slots, release, order, n, {})) for n in "ab"]
    await asyncio.sleep(0.01)
    assert sorted(order) == ["a", "b"] and slots.holders == 2
    with pytest.raises(RateLimitedError):  # no room to wait at all
        async with slots.hold():
            pass
    release.set()
    await asyncio.gather(*tasks)
