"""The fair scheduler's rules on their own: turns by round, a slot kept for others, caps, a
bounded queue."""

from __future__ import annotations

import pytest

from bot.fair_use.scheduler import FairScheduler, QueueFullError

ALICE, BOB, CAROL = 1, 2, 3


@pytest.mark.asyncio
async def test_a_flood_takes_turns_with_everyone_else():
    scheduler = FairScheduler(concurrency=1, per_guild=10, queue_size=10)
    flood = [scheduler.enter(ALICE, 7) for _ in range(4)]
    bob = scheduler.enter(BOB, 7)
    carol = scheduler.enter(CAROL, 7)
    assert flood[0].granted.done()
    # Bob and Carol join the current round; Alice's backlog spreads over the next three.
    assert (bob.position, carol.position) == (1, 2)
    assert [t.position for t in flood[1:]] == [3, 4, 5]
    scheduler.leave(flood[0])
    assert bob.granted.done() and not carol.granted.done()
    assert (carol.position, flood[1].position) == (1, 2)
    scheduler.leave(bob)
    assert carol.granted.done()
    scheduler.leave(carol)
    assert flood[1].granted.done() and flood[2].position == 1


@pytest.mark.asyncio
async def test_one_user_never_holds_every_slot():
    scheduler = FairScheduler(concurrency=2, per_guild=10, queue_size=10)
    first, second = scheduler.enter(ALICE, 7), scheduler.enter(ALICE, 7)
    assert first.granted.done() and not second.granted.done()
    bob = scheduler.enter(BOB, 7)
    assert bob.granted.done()  # the slot kept free is his at once
    assert scheduler.running == 2 and scheduler.waiting == 1


@pytest.mark.asyncio
async def test_the_guild_cap_and_the_queue_bound():
    scheduler = FairScheduler(concurrency=4, per_guild=1, queue_size=1)
    here = scheduler.enter(ALICE, 7)
    elsewhere = scheduler.enter(BOB, 8)
    waiting = scheduler.enter(CAROL, 7)
    assert here.granted.done() and elsewhere.granted.done() and not waiting.granted.done()
    with pytest.raises(QueueFullError):
        scheduler.enter(BOB, 7)
    scheduler.leave(waiting)  # gave up waiting: its place is free again
    assert scheduler.waiting == 0
