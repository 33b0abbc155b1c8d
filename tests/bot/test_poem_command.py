"""/poem through the real discord.py and openai clients: the stand-in and FakeOpenAI."""

from __future__ import annotations

import contextlib
from itertools import pairwise

import pytest

from genai_models.text import Poet, PoetConfig
from tests.fakes.openai_server import FakeOpenAI, Fault

MODEL = "fake-poet-1"
DISCORD_WINDOW_S = 3.0
LONG_POEM = "\n".join(f"verso número {i} de la luna que canta" for i in range(1, 13))


@contextlib.asynccontextmanager
async def poem_bot(start_bot, *, moderation: str = "off", **server_options):
    """A bot whose poet talks to a fresh FakeOpenAI; yields the fake server."""
    async with FakeOpenAI(**server_options) as openai_server:
        config = PoetConfig(
            base_url=openai_server.base_url, api_key="sk-test-secret", model=MODEL,
            moderation=moderation, max_retries=0, timeout_s=5.0,
        )  # fmt: skip
        async with Poet(config=config) as poet, start_bot(poet=poet):
            yield openai_server


def finished(reply) -> bool:
    """The last edit of a poem: its text no longer ends with the streaming cursor."""
    return bool(reply.embeds) and not reply.embeds[0]["description"].endswith("▌")


async def _ephemeral_answer(server, ix):
    """The message only the user sees, and a check that the 3 s window was met."""
    callback = await ix.wait_for_callback()
    assert callback.elapsed < DISCORD_WINDOW_S
    answer = await server.wait_for_reply(ix, lambda r: r.ephemeral and r.content)
    return callback, answer


@pytest.mark.asyncio
async def test_poem_defers_at_once_and_streams_editing_at_most_once_a_second(
    discord_server, start_bot
):
    async with poem_bot(start_bot, reply=LONG_POEM, chunk_delay_s=0.03):
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        callback = await ix.wait_for_callback()
        replies = await discord_server.wait_until_quiet(ix, quiet=1.5, timeout=20)
    assert callback.callback_type == 5 and callback.elapsed < 0.5
    edits = [r for r in replies if r.kind == "edit"]
    streaming = [e for e in edits if e.embeds[0]["description"].endswith("▌")]
    assert len(streaming) >= 2  # the reader saw the poem grow
    gaps = [b.at - a.at for a, b in pairwise(edits)]
    assert min(gaps) >= 0.99, gaps
    growing = [len(e.embeds[0]["description"]) for e in streaming]
    assert growing == sorted(growing)
    # Every state a reader sees is labelled, not only the finished poem.
    assert all(e.embeds[0]["footer"]["text"] == f"AI-generated · {MODEL}" for e in edits)


@pytest.mark.asyncio
async def test_the_finished_poem_is_labelled_ai_generated_with_the_model(
    discord_server, start_bot
):
    async with poem_bot(start_bot, reply=LONG_POEM):
        ix = await discord_server.inject_command("poem", {"topic": "la luna", "form": "sonnet"})
        final = await discord_server.wait_for_edit(ix, finished)
    embed = final.embeds[0]
    assert embed["description"] == LONG_POEM
    assert embed["footer"]["text"] == f"AI-generated · {MODEL}"
    assert embed["title"] == "A poem about la luna"
    assert not final.ephemeral


@pytest.mark.asyncio
async def test_the_poem_is_written_in_the_users_discord_language_by_default(
    discord_server, start_bot
):
    async with poem_bot(start_bot) as openai_server:
        spanish = await discord_server.inject_command(
            "poem", {"topic": "el mar"}, user=discord_server.bob
        )
        await discord_server.wait_for_edit(spanish, finished)
        english = await discord_server.inject_command(
            "poem", {"topic": "el mar", "language": "en"}, user=discord_server.bob
        )
        final = await discord_server.wait_for_edit(english, finished)
    prompts = [str(r.body["messages"]) for r in openai_server.chat_requests]
    assert "Spanish" in prompts[0] and "English" not in prompts[0]
    assert "English" in prompts[1]
    assert final.embeds[0]["footer"]["text"] == f"Generado con IA · {MODEL}"  # bob reads Spanish


@pytest.mark.asyncio
async def test_a_blank_topic_is_refused_at_once_without_calling_the_model(
    discord_server, start_bot
):
    async with poem_bot(start_bot) as openai_server:
        ix = await discord_server.inject_command("poem", {"topic": "  \t "})
        callback, answer = await _ephemeral_answer(discord_server, ix)
    assert callback.callback_type == 4
    assert answer.content == "Please give the poem a topic."
    assert openai_server.chat_requests == []


@pytest.mark.asyncio
async def test_a_flagged_topic_gets_a_polite_private_refusal(discord_server, start_bot):
    async with poem_bot(start_bot, moderation="on") as openai_server:
        ix = await discord_server.inject_command(
            "poem", {"topic": "FLAGME please"}, user=discord_server.bob
        )
        callback, answer = await _ephemeral_answer(discord_server, ix)
        await discord_server.wait_for_reply(ix, kind="delete")  # no public "thinking…" left
    assert callback.callback_type == 5
    assert answer.kind == "followup"
    assert answer.content == "Prefiero no escribir sobre eso. Prueba con otro tema, por favor."
    assert openai_server.chat_requests == []


@pytest.mark.asyncio
async def test_a_flagged_poem_is_replaced_in_place_by_the_refusal(discord_server, start_bot):
    async with poem_bot(start_bot, reply=LONG_POEM) as openai_server:
        openai_server.inject(Fault.CONTENT_FILTER)
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        replies = await discord_server.wait_until_quiet(ix, quiet=1.5, timeout=20)
    final = replies[-1]
    assert final.kind == "edit"
    assert "didn't pass the content check" in final.embeds[0]["description"]
    assert "verso" not in final.embeds[0]["description"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault.RATE_LIMITED, "busy"),
        (Fault.UNAVAILABLE, "trouble"),
        (Fault.UNAUTHORIZED, "credentials"),
        (Fault.DISCONNECT, "broke off"),
    ],
)
async def test_text_service_failures_get_a_short_private_answer_in_time(
    discord_server, start_bot, fault, expected, caplog
):
    async with poem_bot(start_bot, reply=LONG_POEM) as openai_server:
        openai_server.inject(fault)
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        _, answer = await _ephemeral_answer(discord_server, ix)
    assert expected in answer.content
    assert "Traceback" not in answer.content and len(answer.content) < 200
    assert "sk-test-secret" not in caplog.text
