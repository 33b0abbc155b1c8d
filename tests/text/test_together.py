"""The poet's next line of a poem written together, against FakeOpenAI: the poem so far goes as
data, the line gets the poem's output moderation, and a model quoting its rules is withheld."""

from __future__ import annotations

import json

import pytest

from genai_models.errors import ContentFlaggedError
from genai_models.text import NextLineRequest, next_line_of
from genai_models.text.together import LINE_SYSTEM_PROMPT
from tests.fakes.openai_server import DEFAULT_FLAG_MARKER

SO_FAR = NextLineRequest(topic="la luna", lines=("La luna sube al tejado",), language="es")


@pytest.mark.asyncio
async def test_the_next_line_is_asked_with_the_poem_so_far_as_data(openai_server, make_poet):
    openai_server.reply = "y el mar la guarda\nuna segunda línea que sobra"
    poem = await make_poet(moderation="off").write_line(SO_FAR).final()
    messages = openai_server.chat_requests[-1].body["messages"]
    assert messages[0] == {"role": "system", "content": LINE_SYSTEM_PROMPT}
    assert json.dumps(["La luna sube al tejado"], ensure_ascii=False) in messages[1]["content"]
    assert "Language: Spanish." in messages[1]["content"]
    assert next_line_of(poem.text) == "y el mar la guarda"


@pytest.mark.asyncio
async def test_the_line_gets_the_output_check_and_the_lines_are_not_checked_again(openai_server, make_poet):
    openai_server.reply = "y el mar la guarda"
    poem = await make_poet(moderation="on").write_line(SO_FAR).final()
    assert [r.body["input"] for r in openai_server.moderation_requests] == [poem.text]


@pytest.mark.asyncio
async def test_a_flagged_line_from_the_model_is_withheld(openai_server, make_poet):
    openai_server.reply = f"y el mar {DEFAULT_FLAG_MARKER}"
    with pytest.raises(ContentFlaggedError) as caught:
        await make_poet(moderation="on").write_line(SO_FAR).final()
    assert caught.value.stage == "output"


@pytest.mark.asyncio
async def test_a_model_that_quotes_its_line_rules_is_withheld(openai_server, make_poet):
    openai_server.reply = LINE_SYSTEM_PROMPT.splitlines()[0]
    with pytest.raises(ContentFlaggedError):
        await make_poet(moderation="off").write_line(SO_FAR).final()


def test_a_next_line_follows_one_to_seven_lines():
    with pytest.raises(ValueError):
        NextLineRequest(topic="la luna", lines=())
    with pytest.raises(ValueError):
        NextLineRequest(topic="la luna", lines=("x",) * 8)
