"""The poet streams a poem from an OpenAI-compatible server and reports how it ended."""

from __future__ import annotations

import time

import httpx2
import pytest

from genai_models.errors import AuthenticationError, ServiceError, ServiceUnavailableError
from genai_models.text import Poem, PoemRequest, PoemStream, Poet, PoetConfig, Usage
from genai_models.text.poet import KEYLESS_API_KEY
from tests.fakes.openai_server import FakeOpenAI, Fault

REPLY = "Luna de plata,\nnoche callada:\nel mar la guarda."
LUNA = PoemRequest(topic="la luna", language="es", form="free")


@pytest.mark.asyncio
async def test_pieces_arrive_in_order_and_join_into_the_poem(openai_server, poet):
    openai_server.reply = REPLY
    stream = poet.write(LUNA)

    pieces = [piece async for piece in stream]

    assert len(pieces) > 1
    assert "".join(pieces) == REPLY
    assert (await stream.final()).text == REPLY


@pytest.mark.asyncio
async def test_final_reports_finish_reason_model_and_usage(openai_server, poet):
    openai_server.reply = REPLY

    poem = await poet.write(LUNA).final()

    assert isinstance(poem, Poem)
    assert poem.finish_reason == "stop"
    assert poem.model == poet.config.model
    assert isinstance(poem.usage, Usage)
    assert poem.usage.completion_tokens == 9  # the fake counts words
    assert poem.usage.total_tokens == poem.usage.prompt_tokens + 9
    assert poem.usage.prompt_tokens > 0


@pytest.mark.asyncio
async def test_final_without_iterating_reads_the_whole_stream(openai_server, poet):
    openai_server.reply = REPLY
    stream = poet.write(LUNA)

    poem = await stream.final()

    assert poem.text == REPLY
    assert stream.text == REPLY
    assert stream.done


@pytest.mark.asyncio
async def test_first_piece_arrives_before_the_reply_is_finished(openai_server, poet):
    openai_server.reply = REPLY  # 9 pieces
    openai_server.chunk_delay_s = 0.05
    stream = poet.write(LUNA)
    started = time.perf_counter()

    async for _ in stream:
        first_piece_after = time.perf_counter() - started
        break
    await stream.final()
    total = time.perf_counter() - started

    assert first_piece_after < total / 2


@pytest.mark.asyncio
async def test_nothing_is_sent_until_the_stream_is_read(openai_server, poet):
    stream = poet.write(LUNA)
    assert openai_server.chat_requests == []
    await stream.final()
    assert len(openai_server.chat_requests) == 1


@pytest.mark.asyncio
async def test_request_streams_with_model_temperature_and_usage_requested(openai_server, make_poet):
    poet = make_poet(model="gpt-test-mini", temperature=0.3)

    await poet.write(LUNA).final()

    body = openai_server.chat_requests[0].body
    assert body["model"] == "gpt-test-mini"
    assert body["temperature"] == 0.3
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


@pytest.mark.asyncio
async def test_token_limit_is_sent_as_max_tokens_by_default(openai_server, make_poet):
    await make_poet(max_tokens=123).write(LUNA).final()

    body = openai_server.chat_requests[0].body
    assert body["max_tokens"] == 123
    assert "max_completion_tokens" not in body


@pytest.mark.asyncio
async def test_token_limit_is_sent_as_max_completion_tokens_when_configured(openai_server, make_poet):
    poet = make_poet(max_tokens=123, token_limit_param="max_completion_tokens")

    await poet.write(LUNA).final()

    body = openai_server.chat_requests[0].body
    assert body["max_completion_tokens"] == 123
    assert "max_tokens" not in body


@pytest.mark.asyncio
async def test_reasoning_model_works_with_max_completion_tokens(openai_server, make_poet):
    openai_server.reject_max_tokens = True
    poet = make_poet(token_limit_param="max_completion_tokens")

    poem = await poet.write(LUNA).final()

    assert poem.text == openai_server.reply


@pytest.mark.asyncio
async def test_reasoning_model_refusing_max_tokens_asks_for_the_operator(openai_server, poet):
    openai_server.reject_max_tokens = True

    with pytest.raises(ServiceError, match="operator") as caught:
        await poet.write(LUNA).final()

    assert caught.value.code == "request_rejected"


@pytest.mark.asyncio
async def test_token_limit_cutting_the_poem_short_is_reported_as_length(openai_server, make_poet):
    openai_server.reply = REPLY

    poem = await make_poet(max_tokens=16).write(LUNA).final()
    assert poem.finish_reason == "stop"

    openai_server.reply = " ".join(["verso"] * 40)
    poem = await make_poet(max_tokens=16).write(LUNA).final()
    assert poem.finish_reason == "length" and poem.cut
    # One line, cut after a whole word: it ends there, marked as unfinished.
    assert poem.text == " ".join(["verso"] * 16) + "…"


@pytest.mark.asyncio
async def test_llama_cpp_server_without_usage_gives_unknown_usage(openai_server, poet):
    openai_server.llama_cpp = True

    poem = await poet.write(LUNA).final()

    assert poem.text == openai_server.reply
    assert poem.usage is None


@pytest.mark.asyncio
async def test_a_server_ignoring_max_completion_tokens_is_still_stopped_by_the_poets_count(
    openai_server, make_poet
):
    openai_server.llama_cpp = True  # ignores max_completion_tokens
    openai_server.reply = " ".join(["verso"] * 40)

    limited = await make_poet(max_tokens=16).write(LUNA).final()
    ignored = await make_poet(max_tokens=16, token_limit_param="max_completion_tokens").write(LUNA).final()

    assert (limited.finish_reason, len(limited.text.split())) == ("length", 16)
    # The server sent on past the limit; the poet stopped reading one token past it.
    assert (ignored.finish_reason, len(ignored.text.split())) == ("length", 17)
    assert ignored.cut


@pytest.mark.asyncio
async def test_abandoned_stream_can_be_closed_and_the_poet_keeps_working(openai_server, poet):
    openai_server.reply = " ".join(["verso"] * 200)
    openai_server.chunk_delay_s = 0.01

    async with poet.write(LUNA) as stream:
        async for _ in stream:
            break
    assert stream.done
    with pytest.raises(RuntimeError, match="closed before"):
        await stream.final()

    openai_server.chunk_delay_s = 0.0
    assert (await poet.write(LUNA).final()).finish_reason == "stop"


@pytest.mark.asyncio
async def test_write_returns_a_poem_stream(poet):
    stream = poet.write(LUNA)
    assert isinstance(stream, PoemStream)
    await stream.aclose()


@pytest.mark.asyncio
async def test_slow_first_byte_beyond_the_configured_timeout_fails_in_time(openai_server, make_poet):
    openai_server.inject(Fault.SLOW_FIRST_BYTE)
    openai_server.slow_first_byte_s = 10.0
    poet = make_poet(timeout_s=0.3, max_retries=0)
    started = time.perf_counter()

    with pytest.raises(ServiceUnavailableError, match="took too long") as caught:
        await poet.write(LUNA).final()

    assert time.perf_counter() - started < 3.0
    assert caught.value.code == "timeout"


@pytest.mark.asyncio
async def test_openai_without_a_key_fails_fast():
    with pytest.raises(AuthenticationError, match="no API key") as caught:
        Poet(config=PoetConfig(api_key=None, base_url=None))
    assert caught.value.code == "not_configured"


@pytest.mark.asyncio
async def test_keyless_local_server_gets_a_placeholder_key():
    async with FakeOpenAI() as server:
        config = PoetConfig(base_url=server.base_url, moderation="auto", max_retries=0)
        async with Poet(config=config) as poet:
            await poet.write(LUNA).final()
        assert server.chat_requests[0].api_key == KEYLESS_API_KEY
        assert server.moderation_requests == []  # auto: not OpenAI, so no moderation


@pytest.mark.asyncio
async def test_given_http_client_is_used_and_left_open(openai_server, poet_config):
    async with httpx2.AsyncClient(headers={"X-Test-Client": "given"}) as http_client:
        async with Poet(config=poet_config, http_client=http_client) as poet:
            await poet.write(LUNA).final()
        assert openai_server.chat_requests[0].headers.get("X-Test-Client") == "given"
        assert not http_client.is_closed
