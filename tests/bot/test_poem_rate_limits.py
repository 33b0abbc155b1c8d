"""Streaming poems under Discord's rate limits: the stand-in answers 429 past a bucket's limit
(tests/fakes/discord_ratelimits.py); the bot's paced edits and discord.py's own bucket handling
must bring every poem to its reader whole."""

from __future__ import annotations

import functools
import itertools

import pytest

from bot.fair_use.limits import FairUseLimits
from tests.bot.test_poem_command import LONG_POEM, finished, poem_bot
from tests.fakes.discord_ratelimits import RateLimiter, RouteLimit

# One poem at a time (an endpoint serving one at once): the second waits in line, its message
# showing (and updating) its place.
NO_COOLDOWNS = FairUseLimits(cooldowns_s={}, jobs_per_user=10, model_concurrency=10, queue_size=10)


async def _two_poems(server, start_bot) -> list:
    """Alice's and Bob's poems, Bob's queued behind Alice's; the finished edit of each."""
    async with poem_bot(
        functools.partial(start_bot, fair_use=NO_COOLDOWNS),
        reply=LONG_POEM,
        config={"max_concurrency": 1},
        chunk_delay_s=0.02,
    ):
        first = await server.inject_command("poem", {"topic": "la luna"})
        second = await server.inject_command("poem", {"topic": "el mar"}, user=server.bob)
        return [await server.wait_for_edit(ix, _with_buttons, timeout=40) for ix in (first, second)]


def _with_buttons(reply) -> bool:
    """The finished poem: the only state that offers its buttons."""
    return finished(reply) and bool(reply.buttons())


@pytest.mark.asyncio
async def test_streaming_poems_and_a_place_in_line_stay_within_discords_rate_limits(
    discord_server, start_bot
):
    done = await _two_poems(discord_server, start_bot)
    assert [r.embeds[0]["description"] for r in done] == [LONG_POEM, LONG_POEM]
    assert discord_server.rate_limited == []  # the bot's own pace kept inside every bucket
    # Whichever poem reached the queue second (both are sent at once) showed its place in line.
    shown = [
        r.embeds[0]["description"]
        for reply in done
        for r in discord_server.messages_for(reply.interaction_id)
        if r.embeds
    ]
    assert any("in the queue" in d or "puesto 1 de la cola" in d for d in shown)


@pytest.mark.asyncio
async def test_a_stricter_bucket_slows_the_poems_but_both_arrive_whole(discord_server, start_bot):
    # One edit per 1.5 s per message: stricter than the bot's pace, so discord.py must wait out
    # spent buckets (and retry any 429) for the poems to finish.
    discord_server.rate_limiter = RateLimiter(
        limits=(
            RouteLimit(
                "PATCH",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                ("token", "message_id"),
                limit=1,
                per_s=1.5,
            ),
        )
    )
    done = await _two_poems(discord_server, start_bot)
    assert [r.embeds[0]["description"] for r in done] == [LONG_POEM, LONG_POEM]
    for reply in done:
        edits = [r for r in discord_server.messages_for(reply.interaction_id) if r.kind == "edit"]
        gaps = [b.at - a.at for a, b in itertools.pairwise(edits)]
        assert min(gaps) >= 1.4, gaps  # every edit that went through respected the bucket
