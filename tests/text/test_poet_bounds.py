"""The poet bounds every poem itself, on servers that ignore limits, interrupt streams or stall.

Each behaviour of llama-cpp-python's server seen in practice is a FakeOpenAI fault mode here;
the real openai client streams from it.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from genai_models.errors import RateLimitedError, ServiceUnavailableError
from genai_models.text import PoemRequest, Retrying, Started
from tests.fakes.openai_server import Fault

LUNA = PoemRequest(topic="la luna")
# Twelve lines of seven words: a runaway model repeats it without end.
STANZA = "".join(f"la luna canta sobre el mar {i}\n" for i in range(12))
RUNAWAY = STANZA * 40


def _complete_lines(text: str, reply: str) -> bool:
    """Every line of `text` is a whole line of `reply`."""
    lines = set(reply.splitlines())
    return all(line in lines for line in text.splitlines())


# --- runaway generations ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_server_ignoring_every_token_limit_is_stopped_at_max_tokens(openai_server, make_poet):
    openai_server.reply = RUNAWAY
    openai_server.ignore_token_limit = True

    poem = await make_poet(max_tokens=50).write(LUNA).final()

    assert poem.finish_reason == "length" and poem.cut
    assert len(poem.text.split()) <= 51
    assert _complete_lines(poem.text, RUNAWAY)  # the unfinished last line is dropped
    assert poem.text.endswith(("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))


@pytest.mark.asyncio
async def test_a_runaway_poem_is_stopped_at_max_chars(openai_server, make_poet):
    openai_server.reply = RUNAWAY
    openai_server.ignore_token_limit = True

    poem = await make_poet(max_tokens=4000, max_chars=300).write(LUNA).final()

    assert poem.finish_reason == "length"
    assert 200 < len(poem.text) <= 300
    assert _complete_lines(poem.text, RUNAWAY)


@pytest.mark.asyncio
async def test_a_poem_still_arriving_at_the_deadline_is_cut_there(openai_server, make_poet):
    openai_server.reply = RUNAWAY
    openai_server.ignore_token_limit = True
    openai_server.chunk_delay_s = 0.01
    started = time.perf_counter()

    poem = await make_poet(max_tokens=4000, deadline_s=1.5).write(LUNA).final()

    assert 1.4 < time.perf_counter() - started < 3.0
    assert poem.finish_reason == "deadline" and poem.cut
    assert poem.text and _complete_lines(poem.text, RUNAWAY)


@pytest.mark.asyncio
async def test_a_token_limit_that_stops_mid_word_ends_the_poem_at_its_last_whole_line(
    openai_server, make_poet
):
    openai_server.reply = STANZA
    openai_server.subword_tokens = True  # the limit lands inside a word, as on real servers

    stream = make_poet(max_tokens=29).write(LUNA)
    poem = await stream.final()

    assert poem.finish_reason == "length"
    assert not STANZA.startswith(stream.text + " ")  # what arrived did stop mid-word…
    assert poem.text == STANZA.splitlines()[0] + "\n" + STANZA.splitlines()[1]  # …the poem doesn't


@pytest.mark.asyncio
async def test_a_finished_poem_is_not_cut(openai_server, poet):
    openai_server.reply = STANZA

    poem = await poet.write(LUNA).final()

    assert poem.finish_reason == "stop" and not poem.cut
    assert poem.text == STANZA.strip()


# --- the overall deadline across retries -----------------------------------------------


@pytest.mark.asyncio
async def test_a_retry_after_longer_than_the_deadline_is_answered_at_once_with_the_wait(
    openai_server, make_poet
):
    openai_server.inject(Fault.RATE_LIMITED, retry_after=30)
    heard = []
    started = time.perf_counter()

    with pytest.raises(RateLimitedError) as caught:
        await make_poet(max_retries=3, deadline_s=20).write(LUNA, on_progress=heard.append).final()

    assert time.perf_counter() - started < 1.0
    assert caught.value.retry_after == 30
    assert str(caught.value) == "The text service is busy; try again in about 30 s."
    assert len(openai_server.chat_requests) == 1
    assert not any(isinstance(p, Retrying) for p in heard)


@pytest.mark.asyncio
async def test_a_short_retry_after_is_waited_out_and_the_wait_is_told(openai_server, make_poet):
    openai_server.inject(Fault.RATE_LIMITED, retry_after=1)
    heard = []
    started = time.perf_counter()

    poem = await make_poet(max_retries=2).write(LUNA, on_progress=heard.append).final()

    assert time.perf_counter() - started >= 0.95
    assert poem.finish_reason == "stop"
    assert heard == [Started(), Retrying(attempt=1, wait_s=1.0)]


@pytest.mark.asyncio
async def test_slow_first_bytes_are_retried_only_until_the_deadline(openai_server, make_poet):
    openai_server.inject(Fault.SLOW_FIRST_BYTE, times=10)
    openai_server.slow_first_byte_s = 30.0
    heard = []
    started = time.perf_counter()

    with pytest.raises(ServiceUnavailableError, match="took too long") as caught:
        poet = make_poet(timeout_s=1.0, max_retries=10, deadline_s=3.0)
        await poet.write(LUNA, on_progress=heard.append).final()

    elapsed = time.perf_counter() - started
    assert 1.9 < elapsed < 4.0  # two attempts at least; never much past the deadline
    assert caught.value.code == "timeout"
    assert any(isinstance(p, Retrying) for p in heard)
    assert len(openai_server.chat_requests) >= 2


@pytest.mark.asyncio
async def test_a_timeout_longer_than_the_deadline_still_ends_at_the_deadline(openai_server, make_poet):
    openai_server.inject(Fault.SLOW_FIRST_BYTE)
    openai_server.slow_first_byte_s = 30.0
    started = time.perf_counter()

    with pytest.raises(ServiceUnavailableError, match="took too long"):
        await make_poet(timeout_s=30.0, max_retries=0, deadline_s=1.5).write(LUNA).final()

    assert time.perf_counter() - started < 2.7


# --- concurrency: the poet sends what it is asked; the bot's queue keeps within the endpoint ---


async def _two_at_once(poet):
    streams = [poet.write(LUNA), poet.write(LUNA)]
    first = asyncio.create_task(streams[0].final())
    await asyncio.sleep(0.1)  # the first is mid-stream when the second is asked for
    second = asyncio.create_task(streams[1].final())
    return await asyncio.gather(first, second, return_exceptions=True)


@pytest.mark.asyncio
async def test_a_server_that_interrupts_running_streams_does_break_a_poem(openai_server, make_poet):
    # The fault mode is real: with two requests at once, the first poem breaks off.
    openai_server.reply = STANZA
    openai_server.chunk_delay_s = 0.005
    openai_server.interrupt_requests = True

    first, second = await _two_at_once(make_poet(max_concurrency=2))

    assert isinstance(first, ServiceUnavailableError) and first.code == "stream_broken"
    assert second.text == STANZA.strip()
    assert openai_server.interrupted_streams == 1


@pytest.mark.asyncio
async def test_an_abandoned_poem_closes_its_stream_at_the_server(openai_server, make_poet):
    # The bot's queue lets the next poem out when one ends: the endpoint must be free by then.
    openai_server.reply = RUNAWAY
    openai_server.chunk_delay_s = 0.01
    poet = make_poet()

    async with poet.write(LUNA) as stream:
        async for _ in stream:
            break

    for _ in range(200):  # the server sees the disconnect when it writes its next chunk
        if not openai_server._open_streams:
            break
        await asyncio.sleep(0.01)
    assert not openai_server._open_streams
    openai_server.chunk_delay_s = 0.0
    assert (await poet.write(LUNA).final()).text
