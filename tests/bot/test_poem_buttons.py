"""The buttons under a finished poem, pressed through the loopback Discord and FakeOpenAI."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re

import pytest

from bot.fair_use.limits import FairUseLimits
from genai_models.text import Poet, PoetConfig
from tests.fakes.discord_messages import iter_components
from tests.fakes.openai_server import FakeOpenAI, Fault

MODEL = "fake-poet-1"
DISCORD_WINDOW_S = 3.0
UPDATE_MESSAGE, NEW_MESSAGE, DEFERRED_NEW_MESSAGE, MODAL = 7, 4, 5, 9


def numbered_poems():
    """A reply function: poem 1, poem 2, … so each poem is told apart from the one before."""
    counter = itertools.count(1)
    return lambda body: f"poem {next(counter)}, first line\nand a second line"


@contextlib.asynccontextmanager
async def poem_bot(start_bot, *, moderation: str = "off", **bot_options):
    async with FakeOpenAI(reply=numbered_poems()) as openai_server:
        config = PoetConfig(
            base_url=openai_server.base_url, api_key="sk-test-secret", model=MODEL,
            moderation=moderation, max_retries=0, timeout_s=5.0,
        )  # fmt: skip
        async with Poet(config=config) as poet, start_bot(poet=poet, **bot_options):
            yield openai_server


def finished(reply) -> bool:
    """A finished poem with its buttons (not a streaming edit, not the greyed-out press)."""
    return (
        bool(reply.embeds)
        and not reply.embeds[0]["description"].endswith("▌")
        and any(not b.get("disabled") for b in reply.buttons())
    )


def button(reply, label: str) -> dict:
    return next(b for b in reply.buttons() if b.get("label") == label)


def form_select(reply) -> dict:
    return next(c for _, c in iter_components(reply.components) if c.get("type") == 3)


def user_message(openai_server, index: int = -1) -> str:
    return openai_server.chat_requests[index].body["messages"][-1]["content"]


async def first_poem(server, options: dict, *, user=None):
    ix = await server.inject_command("poem", options, user=user)
    return await server.wait_for_edit(ix, finished, timeout=10)


@pytest.mark.asyncio
async def test_a_finished_poem_has_the_five_controls_in_the_readers_language(discord_server, start_bot):
    async with poem_bot(start_bot):
        english = await first_poem(discord_server, {"topic": "la luna"})
        spanish = await first_poem(discord_server, {"topic": "la luna"}, user=discord_server.bob)
    assert [b["label"] for b in english.buttons()] == ["Another", "In Spanish", "New topic…", "Write with me"]
    assert [b["label"] for b in spanish.buttons()] == ["Otro", "En inglés", "Nuevo tema…", "Escribe conmigo"]
    select = form_select(english)
    assert select["placeholder"] == "Rewrite as…"
    assert [o["value"] for o in select["options"]][:3] == ["free", "haiku", "sonnet"]
    assert form_select(spanish)["options"][2]["label"] == "soneto"
    assert english.embeds[0]["footer"]["text"] == f"AI-generated · {MODEL}"


@pytest.mark.asyncio
async def test_another_rewrites_the_poem_in_its_own_message_on_the_same_topic_and_form(
    discord_server, start_bot
):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna", "form": "haiku"})
        press = await discord_server.inject_component(poem, button(poem, "Another")["custom_id"])
        callback = await press.wait_for_callback()
        final = await discord_server.wait_for_edit(press, finished, timeout=10)
    assert callback.callback_type == UPDATE_MESSAGE and callback.elapsed < DISCORD_WINDOW_S
    assert all(b.get("disabled") for b in callback.message["components"][0]["components"])
    assert final.message_id == poem.message_id  # the same message, rewritten
    assert final.embeds[0]["description"].startswith("poem 2")
    assert final.embeds[0]["footer"]["text"] == f"AI-generated · {MODEL}"
    assert user_message(openai_server, 0) == user_message(openai_server, 1)  # topic, form, language


@pytest.mark.asyncio
async def test_someone_else_pressing_gets_the_polite_refusal_and_nothing_is_written(
    discord_server, start_bot
):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna"})
        for label in ("Another", "In Spanish", "New topic…"):
            press = await discord_server.inject_component(
                poem, button(poem, label)["custom_id"], user=discord_server.bob
            )
            refusal = await press.wait_for_callback()
            assert refusal.ephemeral and refusal.elapsed < DISCORD_WINDOW_S
            assert refusal.content == (
                f"Estos botones son de <@{discord_server.alice.id}>. Usa /poem para tener los tuyos."
            )
        pick = await discord_server.inject_component(
            poem, form_select(poem)["custom_id"], values=["ode"], user=discord_server.bob
        )
        assert (await pick.wait_for_callback()).ephemeral
    assert len(openai_server.chat_requests) == 1  # only the owner's own /poem


@pytest.mark.asyncio
async def test_translate_posts_a_new_message_quoting_the_poem_english_to_spanish(discord_server, start_bot):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "the moon", "language": "en"})
        press = await discord_server.inject_component(poem, button(poem, "In Spanish")["custom_id"])
        callback = await press.wait_for_callback()
        final = await discord_server.wait_for_edit(press, finished, timeout=10)
    assert callback.callback_type == NEW_MESSAGE and callback.elapsed < DISCORD_WINDOW_S
    link = (
        f"https://discord.com/channels/{discord_server.guild_id}/{discord_server.channel_id}/"
        f"{poem.message_id}"
    )
    assert callback.content == f"Spanish translation of {link}\n> poem 1, first line"
    assert final.message_id != poem.message_id and final.content == callback.content
    assert final.embeds[0]["description"].startswith("poem 2")
    assert final.embeds[0]["footer"]["text"] == f"AI-generated · {MODEL}"
    asked = user_message(openai_server)
    assert "Language: Spanish." in asked
    assert "translate this one" in asked
    assert json.dumps("poem 1, first line\nand a second line") in asked  # quoted as data
    # The translation's own buttons translate back and write new poems in Spanish.
    assert button(final, "In English")


@pytest.mark.asyncio
async def test_translate_spanish_to_english_for_a_spanish_reader(discord_server, start_bot):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "el mar"}, user=discord_server.bob)
        press = await discord_server.inject_component(
            poem, button(poem, "En inglés")["custom_id"], user=discord_server.bob
        )
        final = await discord_server.wait_for_edit(press, finished, timeout=10)
    assert final.content.startswith("Traducción al inglés de https://discord.com/channels/")
    assert "Language: English." in user_message(openai_server)
    assert "Language: Spanish." in user_message(openai_server, 0)
    assert final.embeds[0]["footer"]["text"] == f"Generado con IA · {MODEL}"


@pytest.mark.asyncio
async def test_the_form_select_rewrites_the_poem_in_the_chosen_form(discord_server, start_bot):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna"})
        pick = await discord_server.inject_component(
            poem, form_select(poem)["custom_id"], values=["limerick"]
        )
        callback = await pick.wait_for_callback()
        final = await discord_server.wait_for_edit(pick, finished, timeout=10)
    assert callback.callback_type == UPDATE_MESSAGE and callback.elapsed < DISCORD_WINDOW_S
    assert final.message_id == poem.message_id
    assert "Form: a limerick" in user_message(openai_server)
    assert '"la luna"' in user_message(openai_server)


async def _open_new_topic(server, poem, *, user=None):
    press = await server.inject_component(poem, button(poem, "New topic…")["custom_id"], user=user)
    opened = await press.wait_for_callback()
    assert opened.callback_type == MODAL and opened.elapsed < DISCORD_WINDOW_S
    return press


@pytest.mark.asyncio
async def test_new_topic_opens_a_form_and_writes_a_new_poem_in_a_new_message(discord_server, start_bot):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna", "form": "haiku"})
        press = await _open_new_topic(discord_server, poem)
        label = press.modal["components"][0]
        field = label["component"]
        assert press.modal["title"] == "A poem about something else"
        assert label["type"] == 18 and label["label"] == "Topic"
        assert field["type"] == 4 and field["max_length"] == 300
        submit = await discord_server.inject_modal_submit(press, {field["custom_id"]: "el\tmar  "})
        callback = await submit.wait_for_callback()
        final = await discord_server.wait_for_edit(submit, finished, timeout=10)
    assert callback.callback_type == DEFERRED_NEW_MESSAGE and callback.elapsed < DISCORD_WINDOW_S
    assert final.message_id != poem.message_id  # the first poem stays as it was
    assert final.embeds[0]["title"] == "A poem about el mar"  # cleaned as the command cleans
    assert "Form: a haiku" in user_message(openai_server)
    assert discord_server.message(poem.message_id)["embeds"][0]["description"].startswith("poem 1")


@pytest.mark.asyncio
async def test_a_blank_topic_from_the_form_is_refused_at_once(discord_server, start_bot):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna"})
        press = await _open_new_topic(discord_server, poem)
        field_id = press.modal["components"][0]["component"]["custom_id"]
        submit = await discord_server.inject_modal_submit(press, {field_id: " \n "})
        answer = await submit.wait_for_callback()
    assert answer.ephemeral and answer.content == "Please give the poem a topic."
    assert len(openai_server.chat_requests) == 1


@pytest.mark.asyncio
async def test_a_flagged_topic_from_the_form_gets_the_private_refusal(discord_server, start_bot):
    async with poem_bot(start_bot, moderation="on") as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna"})
        press = await _open_new_topic(discord_server, poem)
        field_id = press.modal["components"][0]["component"]["custom_id"]
        submit = await discord_server.inject_modal_submit(press, {field_id: "FLAGME now"})
        answer = await discord_server.wait_for_reply(submit, lambda r: r.ephemeral and r.content)
        await discord_server.wait_for_reply(submit, kind="delete")  # no public "thinking…" left
    assert answer.content == "I can't write a poem about that topic; please choose a different one."
    assert len(openai_server.chat_requests) == 1
    assert [r.body["input"] for r in openai_server.moderation_requests][-1] == "FLAGME now"


@pytest.mark.asyncio
async def test_a_failed_rewrite_keeps_the_poem_and_its_buttons_and_says_why_privately(
    discord_server, start_bot
):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna"})
        openai_server.inject(Fault.UNAVAILABLE)
        press = await discord_server.inject_component(poem, button(poem, "Another")["custom_id"])
        answer = await discord_server.wait_for_reply(press, lambda r: r.ephemeral and r.content)
        restored = await discord_server.wait_for_edit(press, finished)
    assert "trouble" in answer.content and "Traceback" not in answer.content
    assert restored.message_id == poem.message_id
    assert restored.embeds[0]["description"] == poem.embeds[0]["description"]
    assert not any(r.kind == "delete" for r in press.replies)  # the user's poem is not lost
    assert button(restored, "Another")  # and can be pressed again
    assert not button(restored, "Another").get("disabled")


@pytest.mark.asyncio
async def test_a_rewrite_that_fails_the_content_check_shows_the_notice_and_keeps_the_buttons(
    discord_server, start_bot
):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna"})
        openai_server.inject(Fault.CONTENT_FILTER)
        press = await discord_server.inject_component(poem, button(poem, "Another")["custom_id"])
        await press.wait_for_callback()
        replies = await discord_server.wait_until_quiet(press, quiet=1.0, timeout=15)
    final = replies[-1]
    assert "didn't pass the content check" in final.embeds[0]["description"]
    assert not any(b.get("disabled") for b in final.buttons())


@pytest.mark.parametrize(
    ("language", "reader", "target"),
    [
        ("es", "es", "en"),
        ("es", "en", "en"),
        ("en", "en", "es"),
        ("en", "es", "es"),
        ("fr", "en", "en"),
        ("fr", "es", "es"),
    ],
)
def test_translations_swap_spanish_and_english_and_bring_others_to_the_reader(language, reader, target):
    from bot.features.poems.views import translation_language

    assert translation_language(language, reader) == target


@pytest.mark.asyncio
async def test_presses_that_write_a_poem_count_as_poem_for_fair_use(discord_server, start_bot):
    """A cooldown on /poem applies to Another, Translate, Form and the New topic form alike:
    otherwise the buttons would be a way round the operator's limits."""
    limits = FairUseLimits(cooldowns_s={"poem": 60.0}, jobs_per_user=10, queue_size=10)
    async with poem_bot(start_bot, fair_use=limits) as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna"})
        refusals = []
        for label in ("Another", "In Spanish"):
            press = await discord_server.inject_component(poem, button(poem, label)["custom_id"])
            refusals.append(await discord_server.wait_for_reply(press, lambda r: r.ephemeral))
        pick = await discord_server.inject_component(poem, form_select(poem)["custom_id"], values=["haiku"])
        refusals.append(await discord_server.wait_for_reply(pick, lambda r: r.ephemeral))
        press = await _open_new_topic(discord_server, poem)
        field = press.modal["components"][0]["component"]
        submit = await discord_server.inject_modal_submit(press, {field["custom_id"]: "el mar"})
        refusals.append(await discord_server.wait_for_reply(submit, lambda r: r.ephemeral))
    assert all(re.fullmatch(r"You can use /poem again <t:\d+:R>\.", r.content) for r in refusals), [
        r.content for r in refusals
    ]
    assert len(openai_server.chat_requests) == 1  # only the first poem was written


@pytest.mark.asyncio
async def test_mentions_a_model_writes_notify_nobody_in_the_poem_or_its_translation(
    discord_server, start_bot
):
    """A model (or a prompt-injected topic) can write @everyone, <@user> and <@&role>: the text
    is shown as written, but Discord is told to notify no one."""
    hostile = "@everyone <@1234> <@&5678> look\n@here and a second line"
    async with FakeOpenAI(reply=lambda body: hostile) as openai_server:
        config = PoetConfig(
            base_url=openai_server.base_url,
            api_key="sk-test-secret",
            model=MODEL,
            moderation="off",
            max_retries=0,
            timeout_s=5.0,
        )
        async with Poet(config=config) as poet, start_bot(poet=poet):
            poem = await first_poem(discord_server, {"topic": "@everyone", "language": "en"})
            press = await discord_server.inject_component(poem, button(poem, "In Spanish")["custom_id"])
            callback = await press.wait_for_callback()
            await discord_server.wait_for_edit(press, finished, timeout=10)
    assert "@everyone <@1234> <@&5678>" in callback.content  # quoted in the translation's text
    assert discord_server.store.pinged == []


@pytest.mark.asyncio
async def test_links_a_model_writes_cannot_be_clicked_in_the_poem_or_its_translation(
    discord_server, start_bot
):
    """A topic can steer the model into writing a link ("make the first line a link to…"):
    posted under the bot's name it would be a phishing link. The label and the address stay
    readable; nothing is clickable."""
    hostile = "[Claim your free Nitro](https://phish.example/claim) under the moon\nsee www.phish.example"
    async with FakeOpenAI(reply=lambda body: hostile) as openai_server:
        config = PoetConfig(
            base_url=openai_server.base_url, api_key="sk-test-secret", model=MODEL,
            moderation="off", max_retries=0, timeout_s=5.0,
        )  # fmt: skip
        async with Poet(config=config) as poet, start_bot(poet=poet):
            poem = await first_poem(discord_server, {"topic": "a link", "language": "en"})
            press = await discord_server.inject_component(poem, button(poem, "In Spanish")["custom_id"])
            callback = await press.wait_for_callback()
            translated = await discord_server.wait_for_edit(press, finished, timeout=10)
    shown = [poem.embeds[0]["description"], callback.content, translated.embeds[0]["description"]]
    for text in shown:
        assert "](" not in text and "https://phish.example/claim" not in text.replace(
            "`https://phish.example/claim`", ""
        )
    assert poem.embeds[0]["description"].startswith("Claim your free Nitro under the moon")
    assert "`www.phish.example`" in poem.embeds[0]["description"]


@pytest.mark.asyncio
async def test_presses_at_once_write_one_poem_and_the_others_hear_it_is_already_rewriting(
    discord_server, start_bot
):
    async with poem_bot(start_bot) as openai_server:
        poem = await first_poem(discord_server, {"topic": "la luna"})
        another = button(poem, "Another")["custom_id"]
        presses = await asyncio.gather(*(discord_server.inject_component(poem, another) for _ in range(4)))
        answers = [await press.wait_for_callback() for press in presses]
        final = await discord_server.wait_for_edit(presses[0], finished, timeout=10)
        await asyncio.sleep(0.5)  # a second poem would have been asked for by now
        spanish = await first_poem(discord_server, {"topic": "el mar"}, user=discord_server.bob)
        presses = await asyncio.gather(
            *(
                discord_server.inject_component(
                    spanish, button(spanish, "Otro")["custom_id"], user=discord_server.bob
                )
                for _ in range(2)
            )
        )
        spanish_answers = [await press.wait_for_callback() for press in presses]
        await discord_server.wait_for_edit(presses[0], finished, timeout=10)
    assert [a.callback_type for a in answers] == [UPDATE_MESSAGE] + [NEW_MESSAGE] * 3
    assert all(
        a.ephemeral and a.content == "This poem is already being rewritten: wait for it to finish."
        for a in answers[1:]
    )
    assert final.message_id == poem.message_id and final.embeds[0]["description"].startswith("poem 2")
    assert [a.content for a in spanish_answers[1:]] == [
        "Este poema ya se está reescribiendo: espera a que termine."
    ]
    assert len(openai_server.chat_requests) == 4  # two /poem, one rewrite of each
