"""Apps → "Write a poem about this" and "Handwriting → digits" on a message, through the
loopback Discord, in English and Spanish: the same cleaning, moderation, fair use and labels
as /poem and /handwriting."""

from __future__ import annotations

import contextlib
import re

import numpy as np
import pytest

from bot.fair_use.limits import FairUseLimits
from genai_models.text import Poet, PoetConfig
from tests.bot.test_server_settings import ADMIN
from tests.fakes.discord_server import Upload
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers import MNIST_SLICE, png_of

POEM_MENU, DIGITS_MENU = "Write a poem about this", "Handwriting → digits"
MESSAGE_COMMAND = 3


def finished_poem(reply) -> bool:
    return (
        bool(reply.embeds)
        and not reply.embeds[0]["description"].endswith("▌")
        and any(not b.get("disabled") for b in reply.buttons())
    )


@contextlib.asynccontextmanager
async def poem_bot(start_bot, *, moderation: str = "off", **options):
    async with FakeOpenAI(reply=lambda body: "olas de tinta\ny sal") as api:
        config = PoetConfig(
            base_url=api.base_url,
            api_key="sk-test-secret",
            model="fake-poet-1",
            moderation=moderation,
            max_retries=0,
            timeout_s=5.0,
        )
        async with Poet(config=config) as poet, start_bot(poet=poet, **options):
            yield api


def handwritten(label: int) -> bytes:
    data = np.load(MNIST_SLICE)
    return png_of(data["x_train"][data["y_train"] == label][0] / 255.0, scale=10)


@pytest.mark.asyncio
async def test_both_menus_are_synced_as_message_commands_named_in_each_language(discord_server, start_bot):
    async with poem_bot(start_bot):
        synced = {c["name"]: c for c in discord_server.synced_commands(discord_server.guild_id)}
    assert synced[POEM_MENU]["type"] == synced[DIGITS_MENU]["type"] == MESSAGE_COMMAND
    assert synced[POEM_MENU]["name_localizations"]["es-ES"] == "Escribir un poema sobre esto"
    assert synced[DIGITS_MENU]["name_localizations"]["es-ES"] == "Letra manuscrita → dígitos"
    assert synced[POEM_MENU]["integration_types"] == [0, 1]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("locale", "title", "language"),
    [
        ("en-US", "A poem about the sea at night", "English"),
        ("es-ES", "Un poema sobre the sea at night", "Spanish"),
    ],
)
async def test_write_a_poem_about_this_takes_the_messages_text_as_topic(
    discord_server, start_bot, locale, title, language
):
    async with poem_bot(start_bot) as api:
        message = discord_server.post_as_user("the   sea\tat night", user=discord_server.bob)
        ix = await discord_server.inject_message_command(POEM_MENU, message, locale=locale)
        poem = await discord_server.wait_for_edit(ix, finished_poem, timeout=10)
    embed = poem.embeds[0]
    assert embed["title"] == title  # cleaned as /poem cleans its topic
    assert embed["footer"]["text"].endswith("· fake-poet-1")  # labelled AI-generated
    asked = api.chat_requests[0].body["messages"][-1]["content"]
    assert '"the sea at night"' in asked
    assert language in json_of(api.chat_requests[0].body)
    assert not poem.ephemeral and poem.buttons()


@pytest.mark.asyncio
async def test_the_poem_menu_follows_the_users_preferences_and_the_servers_style_as_poem_does(
    discord_server, start_bot
):
    async with poem_bot(start_bot) as api:
        for name, options in (
            ("preferences language", {"language": "es"}),
            ("preferences poem-form", {"form": "haiku"}),
            ("settings persona", {"text": "a sailor's voice"}),
        ):
            ix = await discord_server.inject_command(name, options, member_permissions=ADMIN)
            await discord_server.wait_for_reply(ix, lambda r: r.content or r.embeds)
        message = discord_server.post_as_user("the sea at night", user=discord_server.bob)
        ix = await discord_server.inject_message_command(POEM_MENU, message, locale="en-US")
        poem = await discord_server.wait_for_edit(ix, finished_poem, timeout=10)
    sent = json_of(api.chat_requests[0].body)
    assert "Spanish" in sent and "haiku" in sent and "a sailor's voice" in sent
    assert poem.embeds[0]["title"] == "Un poema sobre the sea at night"  # their preferred language


def json_of(body) -> str:
    import json

    return json.dumps(body)


@pytest.mark.asyncio
async def test_a_long_message_is_cut_at_a_word_to_fit_a_topic(discord_server, start_bot):
    async with poem_bot(start_bot) as api:
        message = discord_server.post_as_user("palabra " * 60)
        ix = await discord_server.inject_message_command(POEM_MENU, message)
        await discord_server.wait_for_edit(ix, finished_poem, timeout=10)
    topic = re.search(r'"(palabra[^"]*)"', api.chat_requests[0].body["messages"][-1]["content"])[1]
    assert len(topic) <= 300 and topic.endswith("palabra…")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", "I can't write a poem about that topic; please choose a different one."),
        ("es-ES", "No puedo escribir un poema sobre ese tema; elige otro, por favor."),
    ],
)
async def test_a_flagged_message_gets_the_private_refusal_in_the_users_language(
    discord_server, start_bot, locale, expected
):
    async with poem_bot(start_bot, moderation="on") as api:
        message = discord_server.post_as_user("FLAGME please")
        ix = await discord_server.inject_message_command(POEM_MENU, message, locale=locale)
        answer = await discord_server.wait_for_reply(ix, lambda r: r.ephemeral and r.content)
    assert api.chat_requests == []
    assert [r.body["input"] for r in api.moderation_requests] == ["FLAGME please"]
    assert answer.content == expected


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", "That message has no text to write a poem about."),
        ("es-ES", "Ese mensaje no tiene texto sobre el que escribir un poema."),
    ],
)
async def test_a_message_without_text_is_answered_clearly(discord_server, start_bot, locale, expected):
    async with poem_bot(start_bot) as api:
        message = discord_server.post_as_user("", files=[Upload("cat.png", handwritten(1))])
        ix = await discord_server.inject_message_command(POEM_MENU, message, locale=locale)
        answer = await ix.wait_for_callback()
    assert answer.ephemeral and answer.content == expected
    assert api.chat_requests == []


@pytest.mark.asyncio
async def test_the_poem_menu_counts_as_poem_for_fair_use(discord_server, start_bot):
    limits = FairUseLimits(cooldowns_s={"poem": 60.0}, jobs_per_user=10, queue_size=10)
    async with poem_bot(start_bot, fair_use=limits) as api:
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        await discord_server.wait_for_edit(ix, finished_poem, timeout=10)
        message = discord_server.post_as_user("el mar")
        ix = await discord_server.inject_message_command(POEM_MENU, message)
        answer = await ix.wait_for_callback()
    assert re.fullmatch(r"You can use /poem again <t:\d+:R>\.", answer.content)
    assert len(api.chat_requests) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("locale", "title", "read"),
    [
        ("en-US", "Your handwriting, 0-9", "I read your upload as the digit **3**"),
        ("es-ES", None, "**3**"),
    ],
)
async def test_handwriting_to_digits_writes_the_messages_image_as_every_digit(
    discord_server, start_bot, locale, title, read
):
    async with start_bot():
        message = discord_server.post_as_user(
            "mira", user=discord_server.bob, files=[Upload("three.png", handwritten(3))]
        )
        ix = await discord_server.inject_message_command(DIGITS_MENU, message, locale=locale)
        grid = await discord_server.wait_for_reply(ix, lambda r: r.files)
    assert grid.files[0].filename == "handwriting.png" and not grid.ephemeral
    assert read in grid.embeds[0]["description"]
    assert grid.embeds[0]["footer"]["text"].startswith(("AI-generated", "Generado"))
    if title:
        assert grid.embeds[0]["title"] == title


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", "That message has no image: use this on a message with a photo of one handwritten digit."),
        (
            "es-ES",
            "Ese mensaje no tiene imagen: úsalo en un mensaje con una foto de un dígito escrito a mano.",
        ),
    ],
)
async def test_handwriting_on_a_message_without_an_image_is_answered_clearly(
    discord_server, start_bot, locale, expected
):
    async with start_bot():
        message = discord_server.post_as_user("just words")
        ix = await discord_server.inject_message_command(DIGITS_MENU, message, locale=locale)
        answer = await ix.wait_for_callback()
    assert answer.ephemeral and answer.content == expected


@pytest.mark.asyncio
async def test_a_user_installed_menu_works_in_a_dm(discord_server, start_bot):
    async with start_bot(dev_guild_id=None):
        message = discord_server.post_as_user("", in_dm=True, files=[Upload("seven.png", handwritten(7))])
        ix = await discord_server.inject_message_command(DIGITS_MENU, message, installed_by="user")
        grid = await discord_server.wait_for_reply(ix, lambda r: r.files)
    assert grid.files[0].filename == "handwriting.png"
