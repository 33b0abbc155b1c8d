"""Moderation: when it is on, and what a flagged topic or poem looks like to the user."""

from __future__ import annotations

import pytest

from genai_models.errors import ContentFlaggedError, ServiceError, ServiceUnavailableError
from genai_models.text import PoemRequest, PoetConfig
from genai_models.text.moderation import MODERATION_MODEL
from tests.fakes.openai_server import DEFAULT_FLAG_MARKER, Fault

LUNA = PoemRequest(topic="la luna")
FLAGGED_TOPIC = PoemRequest(topic=f"a poem about {DEFAULT_FLAG_MARKER}")


# ---- when moderation is on ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("moderation", "base_url", "enabled"),
    [
        ("auto", None, True),  # OpenAI's own API: it has /v1/moderations
        ("auto", "https://api.openai.com/v1", True),
        ("auto", "http://localhost:11434/v1", False),  # Ollama
        ("auto", "http://127.0.0.1:8080/v1", False),  # llama.cpp
        ("auto", "https://openrouter.ai/api/v1", False),
        ("on", "http://localhost:11434/v1", True),
        ("off", None, False),
        ("off", "https://api.openai.com/v1", False),
    ],
)
def test_moderation_mode_decides_whether_texts_are_checked(moderation, base_url, enabled):
    config = PoetConfig(api_key="sk-x", base_url=base_url, moderation=moderation)
    assert config.moderation_enabled is enabled


@pytest.mark.asyncio
async def test_poet_built_with_moderation_on_is_moderated(make_poet):
    assert make_poet(moderation="on").moderated
    assert not make_poet(moderation="off").moderated
    assert not make_poet(moderation="auto").moderated  # the fake is not OpenAI


# ---- moderation on, against the fake -------------------------------------------------------


@pytest.mark.asyncio
async def test_moderation_checks_the_topic_and_then_the_poem(openai_server, make_poet):
    poem = await make_poet(moderation="on").write(LUNA).final()

    inputs = [r.body["input"] for r in openai_server.moderation_requests]
    assert inputs == ["la luna", poem.text]
    assert all(r.body["model"] == MODERATION_MODEL for r in openai_server.moderation_requests)
    paths = [r.path for r in openai_server.requests]
    assert paths == ["/v1/moderations", "/v1/chat/completions", "/v1/moderations"]


@pytest.mark.asyncio
async def test_flagged_topic_is_refused_before_any_text(openai_server, make_poet):
    stream = make_poet(moderation="on").write(FLAGGED_TOPIC)

    with pytest.raises(ContentFlaggedError) as caught:
        await anext(stream)

    assert caught.value.stage == "input"
    assert str(caught.value) == ("I can't write a poem about that topic; please choose a different one.")
    assert caught.value.categories == ("violence",)
    assert openai_server.chat_requests == []  # no poem was even asked for


@pytest.mark.asyncio
async def test_flagged_poem_is_refused_when_the_stream_ends(openai_server, make_poet):
    openai_server.reply = f"Un verso\ncon {DEFAULT_FLAG_MARKER}\ndentro."
    stream = make_poet(moderation="on").write(LUNA)
    pieces = []

    with pytest.raises(ContentFlaggedError) as caught:
        async for piece in stream:
            pieces.append(piece)

    assert "".join(pieces) == openai_server.reply  # received, refused at the end
    assert caught.value.stage == "output"
    assert "won't share it" in str(caught.value)
    with pytest.raises(ContentFlaggedError):
        await stream.final()


@pytest.mark.asyncio
async def test_only_text_that_passed_the_check_may_be_shown_while_the_poem_streams(openai_server, make_poet):
    clean = "".join(f"Verso {i} de la luna.\n" for i in range(6))
    openai_server.reply = clean + f"con {DEFAULT_FLAG_MARKER} dentro\ny un final."
    openai_server.chunk_delay_s = 0.02
    stream = make_poet(moderation="on").write(LUNA)
    shown = []

    with pytest.raises(ContentFlaggedError) as caught:
        async for _ in stream:
            shown.append(stream.checked_text)

    assert caught.value.stage == "output"
    assert not any(DEFAULT_FLAG_MARKER in text for text in shown)
    assert shown[-1].startswith("Verso 0")  # the clean lines did stream, once checked
    checked = [r.body["input"] for r in openai_server.moderation_requests][1:]
    assert all(text in checked for text in set(shown) if text)
    assert all(text.endswith("\n") for text in checked[:-1])  # prefixes end at a line end


@pytest.mark.asyncio
async def test_without_moderation_everything_received_may_be_shown(openai_server, make_poet):
    openai_server.reply = "Un verso\ny otro."
    stream = make_poet(moderation="off").write(LUNA)
    async for _ in stream:
        assert stream.checked_text == stream.text


@pytest.mark.asyncio
async def test_moderation_off_sends_nothing_to_the_moderation_endpoint(openai_server, make_poet):
    openai_server.reply = f"A poem with {DEFAULT_FLAG_MARKER}"

    poem = await make_poet(moderation="off").write(FLAGGED_TOPIC).final()

    assert poem.text == openai_server.reply
    assert openai_server.moderation_requests == []


@pytest.mark.asyncio
async def test_moderation_on_for_a_server_without_it_asks_for_the_operator(openai_server, make_poet):
    openai_server.llama_cpp = True  # no /v1/moderations

    with pytest.raises(ServiceError, match="doesn't offer them") as caught:
        await make_poet(moderation="on").write(LUNA).final()

    assert caught.value.code == "moderation_unavailable"
    assert openai_server.chat_requests == []


@pytest.mark.asyncio
async def test_failing_moderation_blocks_the_poem(openai_server, make_poet):
    openai_server.inject(Fault.UNAVAILABLE, endpoint="moderations")

    with pytest.raises(ServiceUnavailableError):
        await make_poet(moderation="on").write(LUNA).final()

    assert openai_server.chat_requests == []  # fails closed: no unchecked topic goes through
