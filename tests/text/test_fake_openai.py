"""The loopback server itself: it speaks OpenAI's protocol and catches invalid requests."""

from __future__ import annotations

import httpx2
import openai
import pytest

from tests.fakes.openai_server import DEFAULT_FLAG_MARKER, FakeOpenAI


def _raw_client(server: FakeOpenAI) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key="sk-raw", base_url=server.base_url, max_retries=0)


MESSAGES = [{"role": "user", "content": "la luna"}]


@pytest.mark.asyncio
async def test_invalid_request_body_is_refused_and_fails_the_test_on_close():
    server = await FakeOpenAI().start()
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            f"{server.base_url}/chat/completions",
            json={"model": "m", "messages": [], "temperature": "warm"},
        )

    assert response.status_code == 400
    with pytest.raises(AssertionError, match="temperature") as caught:
        await server.close()
    assert "messages: [] should be non-empty" in str(caught.value)


@pytest.mark.asyncio
async def test_misspelt_parameter_is_a_schema_violation():
    async with FakeOpenAI() as server, _raw_client(server) as client:
        with pytest.raises(openai.BadRequestError):
            await client.chat.completions.create(model="m", messages=MESSAGES, extra_body={"max_token": 10})
        assert server.schema_violations == [
            "/v1/chat/completions: max_token: not a field of CreateChatCompletionRequest"
        ]
        server.schema_violations.clear()  # seen: let the server close cleanly


@pytest.mark.asyncio
async def test_nullable_fields_accept_null():
    async with FakeOpenAI() as server, _raw_client(server) as client:
        completion = await client.chat.completions.create(
            model="m", messages=MESSAGES, max_completion_tokens=None, stop=None, n=None
        )
    assert completion.choices[0].message.content == server.reply


@pytest.mark.asyncio
async def test_non_streaming_completion_has_text_and_usage():
    async with FakeOpenAI(reply="uno dos tres") as server, _raw_client(server) as client:
        completion = await client.chat.completions.create(model="m", messages=MESSAGES)

    assert completion.choices[0].message.content == "uno dos tres"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens == 3


@pytest.mark.asyncio
async def test_streaming_sends_a_final_usage_chunk_when_asked():
    async with FakeOpenAI(reply="uno dos tres") as server, _raw_client(server) as client:
        stream = await client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "uno dos tres"
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 3
    assert all(c.usage is None for c in chunks[:-1])


@pytest.mark.asyncio
async def test_moderation_flags_only_inputs_with_the_marker():
    async with FakeOpenAI() as server, _raw_client(server) as client:
        result = await client.moderations.create(input=["la luna", f"x {DEFAULT_FLAG_MARKER}"])

    assert [r.flagged for r in result.results] == [False, True]
    assert result.results[1].categories.violence is True
