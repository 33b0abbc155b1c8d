"""Buttons and selects outlive the bot: a press after a restart (same data folder, a new bot
on the same loopback Discord) is answered as it would have been before; one whose state is
gone, or from an older release, is told so privately; one on a grid an older model drew draws
with the model serving now and says so."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from genai_models.text import Poet, PoetConfig
from tests.fakes.discord_messages import iter_components
from tests.fakes.openai_server import FakeOpenAI

MODEL = "fake-poet-1"
UPDATE_MESSAGE, NEW_MESSAGE, DEFERRED_NEW_MESSAGE, MODAL = 7, 4, 5, 9
EXPIRED_EN = "These buttons have expired. Run the command again to get new ones."
EXPIRED_ES = "Estos botones han caducado. Vuelve a usar el comando para obtener unos nuevos."


def button(reply, label: str) -> dict:
    return next(b for b in reply.buttons() if b.get("label") == label)


def select(reply) -> dict:
    return next(c for _, c in iter_components(reply.components) if c.get("type") == 3)


def finished_poem(reply) -> bool:
    return (
        bool(reply.embeds)
        and not reply.embeds[0]["description"].endswith("▌")
        and any(not b.get("disabled") for b in reply.buttons())
    )


@contextlib.asynccontextmanager
async def poem_bot(start_bot, data_dir, **options):
    counter = itertools.count(1)
    async with FakeOpenAI(reply=lambda body: f"poem {next(counter)}, first line\nsecond") as api:
        config = PoetConfig(
            base_url=api.base_url,
            api_key="sk-test-secret",
            model=MODEL,
            moderation="off",
            max_retries=0,
            timeout_s=5.0,
        )
        async with Poet(config=config) as poet, start_bot(poet=poet, data_dir=data_dir, **options) as bot:
            yield bot, api


async def a_grid(server, start_bot, data_dir, options=None, **command):
    """/digit answered by a bot that is then stopped: the grid its buttons are under."""
    async with start_bot(data_dir=data_dir):
        ix = await server.inject_command("digit", options or {"digit": 7, "count": 2, "seed": 5}, **command)
        return await server.wait_for_reply(ix, lambda r: r.files)


async def a_poem(server, start_bot, data_dir, options=None):
    """/poem answered by a bot that is then stopped."""
    async with poem_bot(start_bot, data_dir):
        ix = await server.inject_command("poem", options or {"topic": "la luna", "form": "haiku"})
        return await server.wait_for_edit(ix, finished_poem, timeout=10)


def fields(reply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply.embeds[0].get("fields", [])}


# ---- digits --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_again_after_a_restart_redraws_the_grid_in_place(discord_server, start_bot, tmp_path):
    grid = await a_grid(discord_server, start_bot, tmp_path / "data")
    async with start_bot(data_dir=tmp_path / "data"):
        press = await discord_server.inject_component(grid, button(grid, "Again")["custom_id"])
        again = await discord_server.wait_for_reply(press, lambda r: r.files)
    assert again.message_id == grid.message_id
    assert fields(again)["Seed"] != "`5`" and again.embeds[0]["title"] == grid.embeds[0]["title"]
    assert [b["label"] for b in again.buttons()] == [b["label"] for b in grid.buttons()]
    assert "description" not in again.embeds[0]  # the same model: nothing to say about it


@pytest.mark.asyncio
async def test_explore_after_a_restart_moves_from_where_the_grid_was(
    discord_server, start_bot, tmp_path, sampler
):
    grid = await a_grid(discord_server, start_bot, tmp_path / "data")
    right = axis_label(sampler, "x", 1)
    async with start_bot(data_dir=tmp_path / "data"):
        press = await discord_server.inject_component(grid, button(grid, right)["custom_id"])
        moved = await discord_server.wait_for_reply(press, lambda r: r.files)
    async with start_bot(data_dir=tmp_path / "data"):  # and again, from the moved grid
        press = await discord_server.inject_component(moved, button(moved, right)["custom_id"])
        twice = await discord_server.wait_for_reply(press, lambda r: r.files)
        press = await discord_server.inject_component(twice, button(twice, "Back")["custom_id"])
        back = await discord_server.wait_for_reply(press, lambda r: r.files)
    assert fields(moved)["Style moved"] == "x +0.7, y +0.0"
    assert fields(twice)["Style moved"] == "x +1.4, y +0.0"
    assert "Style moved" not in fields(back) and fields(back)["Seed"] == "`5`"


def axis_label(sampler, axis: str, direction: int) -> str:
    from genai_models.vae.serving.drawing import axis_meaning

    names = getattr(sampler.style_axes, axis)
    return axis_meaning(names, direction, "en")[:80]


@pytest.mark.asyncio
async def test_morph_to_after_a_restart_and_its_picker_after_another(discord_server, start_bot, tmp_path):
    grid = await a_grid(discord_server, start_bot, tmp_path / "data", {"digit": 1, "seed": 4})
    async with start_bot(data_dir=tmp_path / "data"):
        press = await discord_server.inject_component(grid, button(grid, "Morph to…")["custom_id"])
        picker = await press.wait_for_callback()
    async with start_bot(data_dir=tmp_path / "data"):
        pick = await discord_server.inject_component(picker, select(picker)["custom_id"], values=["8"])
        morph = await discord_server.wait_for_reply(pick, lambda r: r.files, timeout=15)
        await discord_server.wait_for_reply(pick, kind="delete")  # the picker goes away
    assert picker.ephemeral and picker.content == "Morph into which digit?"
    assert morph.embeds[0]["title"] == "1 → 8" and not morph.ephemeral
    assert morph.files[0].filename == "morph.gif"


@pytest.mark.asyncio
async def test_a_grid_drawn_by_an_older_model_is_redrawn_by_the_serving_one_which_says_so(
    discord_server, start_bot, tmp_path, sampler
):
    grid = await a_grid(discord_server, start_bot, tmp_path / "data", locale="es-ES")
    stored = discord_server.store.get(grid.message_id)
    for _, component in iter_components(stored["components"]):  # as an older model left them
        if "custom_id" not in component:
            continue
        head, _, _model = component["custom_id"].rpartition(":")
        component["custom_id"] = f"{head}:0ld0"
    again = next(c for _, c in iter_components(stored["components"]) if c.get("label") == "Otra vez")
    async with start_bot(data_dir=tmp_path / "data"):
        press = await discord_server.inject_component(grid.message_id, again["custom_id"], locale="es-ES")
        redrawn = await discord_server.wait_for_reply(press, lambda r: r.files)
    assert redrawn.embeds[0]["description"] == (
        f"El modelo de dígitos ha cambiado desde este mensaje: ahora los dibuja el VAE {sampler.version}."
    )
    assert fields(redrawn)["Modelo"] == f"VAE {sampler.version}"
    assert all(":0ld0" not in b["custom_id"] for b in redrawn.buttons())  # now the serving one's


# ---- poems ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_another_after_a_restart_rewrites_the_poem_on_its_topic_and_form(
    discord_server, start_bot, tmp_path
):
    poem = await a_poem(discord_server, start_bot, tmp_path / "data")
    async with poem_bot(start_bot, tmp_path / "data") as (_, api):
        press = await discord_server.inject_component(poem, button(poem, "Another")["custom_id"])
        callback = await press.wait_for_callback()
        final = await discord_server.wait_for_edit(press, finished_poem, timeout=10)
    asked = api.chat_requests[0].body["messages"][-1]["content"]
    assert callback.callback_type == UPDATE_MESSAGE
    assert final.message_id == poem.message_id
    assert '"la luna"' in asked and "Form: a haiku" in asked


@pytest.mark.asyncio
async def test_translate_after_a_restart_translates_the_poem_the_message_shows(
    discord_server, start_bot, tmp_path
):
    poem = await a_poem(discord_server, start_bot, tmp_path / "data")
    async with poem_bot(start_bot, tmp_path / "data") as (_, api):
        press = await discord_server.inject_component(poem, button(poem, "In Spanish")["custom_id"])
        callback = await press.wait_for_callback()
        final = await discord_server.wait_for_edit(press, finished_poem, timeout=10)
    asked = api.chat_requests[0].body["messages"][-1]["content"]
    assert callback.callback_type == NEW_MESSAGE
    assert "poem 1, first line" in callback.content  # the quote of the poem it translates
    assert "poem 1, first line" in asked and final.message_id != poem.message_id
    # The translation's own buttons work in turn: its state was kept too.
    async with poem_bot(start_bot, tmp_path / "data") as (_, api):
        again = await discord_server.inject_component(final, button(final, "Another")["custom_id"])
        rewritten = await discord_server.wait_for_edit(again, finished_poem, timeout=10)
    assert rewritten.message_id == final.message_id and len(api.chat_requests) == 1


@pytest.mark.asyncio
async def test_the_form_select_after_a_restart_rewrites_in_the_picked_form(
    discord_server, start_bot, tmp_path
):
    poem = await a_poem(discord_server, start_bot, tmp_path / "data")
    async with poem_bot(start_bot, tmp_path / "data") as (_, api):
        pick = await discord_server.inject_component(poem, select(poem)["custom_id"], values=["limerick"])
        final = await discord_server.wait_for_edit(pick, finished_poem, timeout=10)
    asked = api.chat_requests[0].body["messages"][-1]["content"]
    assert final.message_id == poem.message_id
    assert "Form: a limerick" in asked and '"la luna"' in asked


@pytest.mark.asyncio
async def test_new_topic_after_a_restart_opens_the_form_and_writes_in_the_same_form(
    discord_server, start_bot, tmp_path
):
    poem = await a_poem(discord_server, start_bot, tmp_path / "data")
    async with poem_bot(start_bot, tmp_path / "data") as (_, api):
        press = await discord_server.inject_component(poem, button(poem, "New topic…")["custom_id"])
        opened = await press.wait_for_callback()
        field = press.modal["components"][0]["component"]
        submit = await discord_server.inject_modal_submit(press, {field["custom_id"]: "el mar"})
        final = await discord_server.wait_for_edit(submit, finished_poem, timeout=10)
    asked = api.chat_requests[0].body["messages"][-1]["content"]
    assert opened.callback_type == MODAL
    assert final.embeds[0]["title"] == "A poem about el mar"
    assert "Form: a haiku" in asked


@pytest.mark.asyncio
async def test_someone_elses_press_after_a_restart_is_still_refused(discord_server, start_bot, tmp_path):
    poem = await a_poem(discord_server, start_bot, tmp_path / "data")
    async with poem_bot(start_bot, tmp_path / "data") as (_, api):
        press = await discord_server.inject_component(
            poem, button(poem, "Another")["custom_id"], user=discord_server.bob
        )
        refusal = await press.wait_for_callback()
    assert refusal.ephemeral and refusal.content == (
        f"Estos botones son de <@{discord_server.alice.id}>. Usa /poem para tener los tuyos."
    )
    assert api.chat_requests == []


# ---- state gone, or never ours ------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(("locale", "expected"), [("en-US", EXPIRED_EN), ("es-ES", EXPIRED_ES)])
async def test_a_press_on_a_poem_whose_state_was_pruned_is_told_its_buttons_expired(
    discord_server, start_bot, tmp_path, locale, expected
):
    """The audit log keeps generations 90 days by default; a poem's button state goes with
    them. A press on an older poem is answered, privately and in the presser's language."""
    poem = await a_poem(discord_server, start_bot, tmp_path / "data")
    async with poem_bot(start_bot, tmp_path / "data") as (bot, api):
        await bot.audit.prune(now=datetime.now(UTC) + timedelta(days=91))
        answers = []
        for custom_id in (button(poem, "Another")["custom_id"], select(poem)["custom_id"]):
            press = await discord_server.inject_component(
                poem, custom_id, locale=locale, values=["ode"] if "form" in custom_id else None
            )
            answers.append(await press.wait_for_callback())
    assert all(a.ephemeral and a.content == expected for a in answers)
    assert api.chat_requests == []  # and no fair use spent on it


@pytest.mark.asyncio
async def test_a_poem_press_after_the_operator_turned_poems_off_says_so(discord_server, start_bot, tmp_path):
    """Restarted without a text endpoint, the bot has no /poem: "run the command again" would
    send the user after a command that is gone, so the press hears that poems are off."""
    poem = await a_poem(discord_server, start_bot, tmp_path / "data")
    async with start_bot(data_dir=tmp_path / "data"):  # no poet
        answers = []
        for custom_id in (button(poem, "Another")["custom_id"], select(poem)["custom_id"]):
            press = await discord_server.inject_component(
                poem, custom_id, values=["ode"] if "form" in custom_id else None
            )
            answers.append(await press.wait_for_callback())
    assert all(
        a.ephemeral and a.content.startswith("Poems are not set up on this bot any more") for a in answers
    )


@pytest.mark.asyncio
async def test_a_month_old_poem_still_works_within_the_retention(discord_server, start_bot, tmp_path):
    poem = await a_poem(discord_server, start_bot, tmp_path / "data")
    async with poem_bot(start_bot, tmp_path / "data") as (bot, api):
        await bot.audit.prune(now=datetime.now(UTC) + timedelta(days=31))
        press = await discord_server.inject_component(poem, button(poem, "Another")["custom_id"])
        await discord_server.wait_for_edit(press, finished_poem, timeout=10)
    assert len(api.chat_requests) == 1


@pytest.mark.asyncio
async def test_a_press_on_a_button_from_an_older_release_is_answered_not_dropped(
    discord_server, start_bot, tmp_path
):
    grid = await a_grid(discord_server, start_bot, tmp_path / "data")
    stored = discord_server.store.get(grid.message_id)
    first = next(c for _, c in iter_components(stored["components"]) if c["type"] == 2)
    first["custom_id"] = "0f3c5e1a9b7d4c2e8f6a0b1c2d3e4f5a"  # a random id, as views had before
    async with start_bot(data_dir=tmp_path / "data"):
        press = await discord_server.inject_component(grid.message_id, first["custom_id"], locale="es-ES")
        answer = await press.wait_for_callback()
    assert answer.ephemeral and answer.content == EXPIRED_ES
    assert answer.elapsed < 3.0


@pytest.mark.asyncio
async def test_a_new_topic_form_sent_after_a_restart_is_told_it_expired(discord_server, start_bot, tmp_path):
    """The form itself lives in the process that opened it: one submitted to a new process is
    answered (privately, in time), not dropped."""
    poem = await a_poem(discord_server, start_bot, tmp_path / "data")
    async with poem_bot(start_bot, tmp_path / "data"):
        press = await discord_server.inject_component(poem, button(poem, "New topic…")["custom_id"])
        await press.wait_for_callback()
    async with poem_bot(start_bot, tmp_path / "data") as (_, api):
        field = press.modal["components"][0]["component"]
        submit = await discord_server.inject_modal_submit(
            press, {field["custom_id"]: "el mar"}, locale="es-ES"
        )
        answer = await submit.wait_for_callback()
    assert answer.ephemeral and answer.content == EXPIRED_ES
    assert answer.elapsed < 3.0
    assert api.chat_requests == []


@pytest.mark.asyncio
async def test_every_component_the_bot_sends_is_one_it_can_answer_after_any_restart(
    discord_server, start_bot, tmp_path
):
    """Any custom id outside the registered templates is answered 'expired' at once, so every
    component the bot sends must match one."""
    async with poem_bot(start_bot, tmp_path / "data") as (bot, _):
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        await discord_server.wait_for_edit(ix, finished_poem, timeout=10)
        ix = await discord_server.inject_command("digit", {})
        grid = await discord_server.wait_for_reply(ix, lambda r: r.files)
        press = await discord_server.inject_component(grid, button(grid, "Morph to…")["custom_id"])
        await press.wait_for_callback()
        templates = list(bot.persistent_templates)
    custom_ids = [
        c["custom_id"]
        for m in discord_server.store.messages.values()
        for _, c in iter_components(m.get("components") or [])
        if "custom_id" in c
    ]
    assert len(custom_ids) == 5 + 7 + 1  # a poem's, a grid's, the picker's
    assert all(any(t.fullmatch(i) for t in templates) for i in custom_ids), custom_ids


def test_the_largest_grid_state_fits_a_custom_id():
    from bot.features.digits.requests import DigitRequest
    from bot.features.digits.views import ACTIONS, DigitButton, GridState, MorphTargetSelect
    from genai_models.vae.serving.limits import MAX_SEED

    request = DigitRequest(None, 25, MAX_SEED, (-99.99, -99.99))
    state = GridState(2**64 - 1, request, "f" * 16)
    longest = max(
        [f"digit:{action}:{state.encode()}" for action in ACTIONS] + [f"morph-to:{state.encode()}"], key=len
    )
    assert len(longest) <= 100
    assert DigitButton.__discord_ui_compiled_template__.fullmatch(
        f"digit:explore:{state.encode()}".replace("explore", "right")
    )
    assert MorphTargetSelect.__discord_ui_compiled_template__.fullmatch(f"morph-to:{state.encode()}")
