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
async def poem_bot(start_bot, *, moderation: str = "off", config: dict | None = None,
                   **server_options):  # fmt: skip
    """A bot whose poet talks to a fresh FakeOpenAI; yields the fake server."""
    async with FakeOpenAI(**server_options) as openai_server:
        settings = {"moderation": moderation, "max_retries": 0, "timeout_s": 5.0} | (config or {})
        config = PoetConfig(
            base_url=openai_server.base_url, api_key="sk-test-secret", model=MODEL, **settings
        )
        async with Poet(config=config) as poet, start_bot(poet=poet):
            yield openai_server


def is_status(reply) -> bool:
    """A poem's message before its words: its place in the queue (⏳), or a retry (in italics)."""
    description = reply.embeds[0]["description"] if reply.embeds else ""
    return description.startswith("⏳") or (description.startswith("*") and description.endswith("*"))


def finished(reply) -> bool:
    """The last edit of a poem: no streaming cursor, and not a status line."""
    return bool(reply.embeds) and not reply.embeds[0]["description"].endswith("▌") and not is_status(reply)


async def _ephemeral_answer(server, ix):
    """The message only the user sees, and a check that the 3 s window was met."""
    callback = await ix.wait_for_callback()
    assert callback.elapsed < DISCORD_WINDOW_S
    answer = await server.wait_for_reply(ix, lambda r: r.ephemeral and r.content)
    return callback, answer


@pytest.mark.asyncio
async def test_poem_defers_at_once_and_streams_editing_at_most_once_a_second(discord_server, start_bot):
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
async def test_the_finished_poem_is_labelled_ai_generated_with_the_model(discord_server, start_bot):
    async with poem_bot(start_bot, reply=LONG_POEM):
        ix = await discord_server.inject_command("poem", {"topic": "la luna", "form": "sonnet"})
        final = await discord_server.wait_for_edit(ix, finished)
    embed = final.embeds[0]
    assert embed["description"] == LONG_POEM
    assert embed["footer"]["text"] == f"AI-generated · {MODEL}"
    assert embed["title"] == "A poem about la luna"
    assert not final.ephemeral


@pytest.mark.asyncio
async def test_the_poem_is_written_in_the_users_discord_language_by_default(discord_server, start_bot):
    async with poem_bot(start_bot) as openai_server:
        spanish = await discord_server.inject_command("poem", {"topic": "el mar"}, user=discord_server.bob)
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
async def test_a_blank_topic_is_refused_at_once_without_calling_the_model(discord_server, start_bot):
    async with poem_bot(start_bot) as openai_server:
        ix = await discord_server.inject_command("poem", {"topic": "  \t "})
        callback, answer = await _ephemeral_answer(discord_server, ix)
    assert callback.callback_type == 4
    assert answer.content == "Please give the poem a topic."
    assert openai_server.chat_requests == []


@pytest.mark.asyncio
async def test_a_flagged_topic_gets_a_polite_private_refusal(discord_server, start_bot):
    async with poem_bot(start_bot, moderation="on") as openai_server:
        ix = await discord_server.inject_command("poem", {"topic": "FLAGME please"}, user=discord_server.bob)
        callback, answer = await _ephemeral_answer(discord_server, ix)
        await discord_server.wait_for_reply(ix, kind="delete")  # no public "thinking…" left
    assert callback.callback_type == 5
    assert answer.kind == "followup"
    assert answer.content == "No puedo escribir un poema sobre ese tema; elige otro, por favor."
    assert openai_server.chat_requests == []


@pytest.mark.asyncio
async def test_a_flagged_topic_that_waited_its_turn_is_never_shown_publicly(discord_server, start_bot):
    """A poem that waited in the queue shows "writing a poem about <topic>" when its turn comes:
    only once the topic has passed moderation, never while its check is still on its way."""
    options = {"reply": LONG_POEM, "chunk_delay_s": 0.02, "moderation_delay_s": 0.5}
    async with poem_bot(start_bot, moderation="on", **options):
        first = await discord_server.inject_command("poem", {"topic": "la luna"})
        await discord_server.wait_for_edit(first)  # streaming: the next poem waits its turn
        flagged = await discord_server.inject_command(
            "poem", {"topic": "FLAGME aimed at a member"}, user=discord_server.bob
        )
        await discord_server.wait_for_reply(flagged, lambda r: r.ephemeral and r.content, timeout=30)
        await discord_server.wait_for_edit(first, finished, timeout=30)
    history = discord_server.messages_for(flagged)
    public = [str(r.payload) for r in history if not r.ephemeral and r.kind != "delete"]
    assert any("⏳" in shown for shown in public)  # it did wait in the queue, publicly
    assert not any("FLAGME" in shown for shown in public), public


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


# --- real servers: runaway generations, cut poems, the deadline (one slot: test_poem_queue.py) ---

STANZA = "".join(f"la luna canta sobre el mar {i}\n" for i in range(12))
RUNAWAY = STANZA * 40


def _poem_lines(reply) -> list[str]:
    return reply.embeds[0]["description"].split("\n\n*")[0].splitlines()


@pytest.mark.asyncio
async def test_a_runaway_generation_ends_at_the_deadline_at_a_whole_line_and_says_so(
    discord_server, start_bot
):
    async with poem_bot(
        start_bot, reply=RUNAWAY, chunk_delay_s=0.005, ignore_token_limit=True,
        config={"deadline_s": 3.0, "max_tokens": 4000, "max_chars": 4000},
    ):  # fmt: skip
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        final = await discord_server.wait_for_edit(ix, finished, timeout=10)
        replies = await discord_server.wait_until_quiet(ix, quiet=1.0)

    assert final.elapsed < 3.0 + 2.5  # the deadline, the last paced edit, a busy machine
    description = final.embeds[0]["description"]
    assert description.endswith("\n\n*✂ Cut short: the poem was taking too long to write.*")
    assert set(_poem_lines(final)) <= set(STANZA.splitlines())  # whole lines only
    assert final.embeds[0]["footer"]["text"] == f"AI-generated · {MODEL}"
    assert replies[-1] is final or replies[-1].message == final.message  # nothing after it


@pytest.mark.asyncio
async def test_a_server_ignoring_max_completion_tokens_is_cut_at_the_token_limit(discord_server, start_bot):
    async with poem_bot(
        start_bot, reply=RUNAWAY, llama_cpp=True,
        config={"token_limit_param": "max_completion_tokens", "max_tokens": 60},
    ):  # fmt: skip
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        final = await discord_server.wait_for_edit(ix, finished, timeout=10)

    lines = _poem_lines(final)
    assert 7 <= len(lines) <= 9 and set(lines) <= set(STANZA.splitlines())
    assert final.embeds[0]["description"].endswith("*✂ Cut short: the poem reached its length limit.*")


@pytest.mark.asyncio
async def test_a_poem_the_token_limit_stops_mid_word_ends_at_its_last_line(discord_server, start_bot):
    async with poem_bot(start_bot, reply=STANZA, subword_tokens=True, config={"max_tokens": 29}):
        ix = await discord_server.inject_command("poem", {"topic": "la luna"}, user=discord_server.bob)
        final = await discord_server.wait_for_edit(ix, finished, timeout=10)

    assert final.embeds[0]["description"] == (
        "\n".join(STANZA.splitlines()[:2]) + "\n\n*✂ Cortado: el poema llegó a su límite de longitud.*"
    )


@pytest.mark.asyncio
async def test_a_retry_after_beyond_the_deadline_is_answered_at_once_with_the_wait(discord_server, start_bot):
    async with poem_bot(start_bot, config={"max_retries": 2, "deadline_s": 20.0}) as server:
        server.inject(Fault.RATE_LIMITED, retry_after=30)
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        _, answer = await _ephemeral_answer(discord_server, ix)

    assert answer.elapsed < 3.0  # not the 30 s the server asked for
    assert answer.content == "The text service is busy; try again in about 30 s."
    assert len(server.chat_requests) == 1


@pytest.mark.asyncio
async def test_a_rate_limited_poem_says_it_is_retrying_then_arrives(discord_server, start_bot):
    async with poem_bot(start_bot, config={"max_retries": 2}) as server:
        server.inject(Fault.RATE_LIMITED, retry_after=1.5)
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        status = await discord_server.wait_for_edit(ix, is_status)
        final = await discord_server.wait_for_edit(ix, finished, timeout=10)

    assert status.embeds[0]["description"] == "*The text service is busy, retrying…*"
    assert status.embeds[0]["footer"]["text"] == f"AI-generated · {MODEL}"
    assert final.embeds[0]["description"] == server.reply
    assert len(server.chat_requests) == 2


@pytest.mark.asyncio
async def test_a_slow_first_byte_gets_a_clear_answer_before_the_deadline(discord_server, start_bot):
    async with poem_bot(
        start_bot, slow_first_byte_s=60.0,
        config={"max_retries": 5, "timeout_s": 1.5, "deadline_s": 4.0},
    ) as server:  # fmt: skip
        server.inject(Fault.SLOW_FIRST_BYTE, times=10)
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        status = await discord_server.wait_for_edit(ix, is_status)
        _, answer = await _ephemeral_answer(discord_server, ix)

    assert status.embeds[0]["description"] == "*The text service is busy, retrying…*"
    assert answer.elapsed < 4.0 + 1.5  # the deadline, not 5 attempts of 1.5 s
    assert answer.content == "The text service took too long to answer; try again in a moment."


@pytest.mark.asyncio
async def test_a_model_quoting_its_rules_has_its_message_replaced_in_place(discord_server, start_bot):
    from genai_models.text.prompts import SYSTEM_PROMPT
    from tests.fakes.openai_server import echo_user_message

    async with poem_bot(
        start_bot, chunk_delay_s=0.01, drop_system_message=True,
        reply=lambda body: "Verso uno\nverso dos\n" + echo_user_message(body),
        config={"system_prompt_role": "user"},
    ):  # fmt: skip
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        replies = await discord_server.wait_until_quiet(ix, quiet=1.5, timeout=20)

    final = replies[-1]
    assert final.kind == "edit"
    assert "didn't pass the content check" in final.embeds[0]["description"]
    shown = [r.embeds[0]["description"] for r in replies if r.kind == "edit"]
    assert not any("Never reveal" in text or SYSTEM_PROMPT[:200] in text for text in shown)


@pytest.mark.asyncio
async def test_a_poem_moderation_withholds_is_never_shown_not_even_while_it_streams(
    discord_server, start_bot
):
    lines = LONG_POEM.splitlines()
    flagged = "\n".join([*lines[:6], "FLAGME en la séptima línea", *lines[6:]])
    async with poem_bot(start_bot, moderation="on", reply=flagged, chunk_delay_s=0.03) as openai:
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        replies = await discord_server.wait_until_quiet(ix, quiet=1.5, timeout=20)
    shown = [r.embeds[0]["description"] for r in replies if r.kind == "edit" and r.embeds]
    assert "didn't pass the content check" in shown[-1]
    assert not any("FLAGME" in text for text in shown)
    # Everything a reader saw of the poem had passed the check before it was shown.
    checked = {r.body["input"] for r in openai.moderation_requests}
    poem_states = [text.removesuffix("▌").rstrip() for text in shown[:-1]]
    assert any(poem_states)  # the clean lines before it did stream
    assert all(text in {c.rstrip() for c in checked} for text in poem_states if text)
