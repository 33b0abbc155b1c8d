"""Poems wait in one queue: the fair-use queue of the "text" resource, as wide as the text
endpoint serves at once (OPENAI_MAX_CONCURRENCY; one for a local server). One place-in-queue
message, one refusal, one metric; no second line at the poet."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from prometheus_client import generate_latest

from bot.fair_use.limits import FairUseLimits
from bot.interactions.i18n import text
from genai_models.text import Poet, PoetConfig
from tests.bot.test_poem_command import LONG_POEM, MODEL, finished
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.asyncio


@contextlib.asynccontextmanager
async def queued_poems(start_bot, *, fair_use: FairUseLimits | None = None, **config):
    """A bot whose poet streams LONG_POEM slowly from a fresh FakeOpenAI; yields (bot, server)."""
    async with FakeOpenAI(reply=LONG_POEM, chunk_delay_s=0.02, interrupt_requests=True) as server:
        poet_config = PoetConfig(
            base_url=server.base_url,
            api_key="sk-test",
            model=MODEL,
            moderation="off",
            max_retries=0,
            timeout_s=5.0,
            **config,
        )
        options = {"fair_use": fair_use} if fair_use is not None else {}
        async with Poet(config=poet_config) as poet, start_bot(poet=poet, **options) as bot:
            yield bot, server


def queue_depth(bot, resource: str) -> float:
    """genai_queue_depth{resource=…} as /metrics shows it."""
    line = f'genai_queue_depth{{resource="{resource}"}} '
    [value] = [
        row[len(line) :]
        for row in generate_latest(bot.metrics.registry).decode().splitlines()
        if row.startswith(line)
    ]
    return float(value)


async def test_a_poem_behind_a_busy_local_server_shows_its_place_in_the_one_queue(discord_server, start_bot):
    async with queued_poems(start_bot) as (bot, server):
        assert bot.fair_use.schedulers["text"].concurrency == 1  # a local server: one at a time
        first = await discord_server.inject_command("poem", {"topic": "la luna"})
        await discord_server.wait_for_edit(first)  # the first poem is streaming
        second = await discord_server.inject_command("poem", {"topic": "el mar"}, user=discord_server.bob)
        place = await discord_server.wait_for_edit(second)
        depth_while_waiting = queue_depth(bot, "text")
        finals = [await discord_server.wait_for_edit(ix, finished, timeout=20) for ix in (first, second)]
        depth_after = queue_depth(bot, "text")

    # bob's client is Spanish: the fair-use queue's message, the same every command shows.
    assert place.embeds[0]["description"] == text("queue_position", "es", position=1, command="poem")
    assert depth_while_waiting == 1.0 and depth_after == 0.0
    assert [f.embeds[0]["description"] for f in finals] == [LONG_POEM, LONG_POEM]
    # Never two streams at once at a server that breaks the first when a second arrives.
    assert server.peak_streams == 1 and server.interrupted_streams == 0


async def test_a_full_queue_refuses_a_poem_privately_with_the_fair_use_refusal(discord_server, start_bot):
    no_room = FairUseLimits(cooldowns_s={}, jobs_per_user=1000, queue_size=0)
    async with queued_poems(start_bot, fair_use=no_room) as (bot, server):
        first = await discord_server.inject_command("poem", {"topic": "la luna"})
        await discord_server.wait_for_edit(first)
        second = await discord_server.inject_command("poem", {"topic": "el mar"})
        answer = await discord_server.wait_for_reply(second, lambda r: r.ephemeral and r.content)
        await discord_server.wait_for_edit(first, finished, timeout=20)
        refusals = bot.metrics.refusals.labels(command="poem", reason="queue_full")._value.get()

    assert answer.content.startswith("I'm very busy right now (0 requests waiting). Please try again <t:")
    assert refusals == 1
    assert len(server.chat_requests) == 1  # the refused poem never reached the server


async def test_the_queue_is_as_wide_as_the_endpoint_serves_at_once(discord_server, start_bot):
    async with queued_poems(start_bot, max_concurrency=2) as (bot, server):
        assert bot.fair_use.schedulers["text"].concurrency == 2
        server.interrupt_requests = False  # a server that serves two at once
        first = await discord_server.inject_command("poem", {"topic": "la luna"})
        await discord_server.wait_for_edit(first)
        second = await discord_server.inject_command("poem", {"topic": "el mar"}, user=discord_server.bob)
        await asyncio.sleep(0)
        finals = [await discord_server.wait_for_edit(ix, finished, timeout=20) for ix in (first, second)]
        second_replies = await discord_server.wait_until_quiet(second, quiet=0.5)

    queued = text("queue_position", "es", position=1, command="poem")
    assert all(r.embeds[0]["description"] != queued for r in second_replies if r.embeds)
    assert [f.embeds[0]["description"] for f in finals] == [LONG_POEM, LONG_POEM]
    assert server.peak_streams == 2
