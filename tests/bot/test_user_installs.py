"""The app a user installs to their own account: the creative commands work in the bot's DM,
in other people's DMs and in servers that never added the bot, with fair use per user; the
training commands stay in servers that installed the bot."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bot.fair_use.limits import FairUseLimits
from genai_models.text import Poet, PoetConfig
from tests.fakes.discord_server import InvalidInteraction, Upload
from tests.fakes.discord_world import MANAGE_GUILD, MEMBER_PERMISSIONS
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers import MNIST_SLICE, png_of

GLOBAL = {"dev_guild_id": None}  # a user install sees the global commands only
CREATIVE = ("poem", "digit", "morph", "handwriting", "latent-map", "about", "preferences")
SERVER_ONLY = ("train", "model", "train-status", "settings")  # they steer a server or the bot
GUILD_INSTALL, USER_INSTALL = 0, 1
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2


def finished_poem(reply) -> bool:
    return (
        bool(reply.embeds)
        and not reply.embeds[0]["description"].endswith("▌")
        and any(not b.get("disabled") for b in reply.buttons())
    )


@pytest.mark.asyncio
async def test_synced_commands_say_where_they_may_be_installed_and_used(discord_server, start_bot):
    async with (
        FakeOpenAI() as api,
        Poet(
            config=PoetConfig(base_url=api.base_url, api_key="sk-test-secret", model="m", moderation="off")
        ) as poet,
    ):
        async with start_bot(poet=poet, **GLOBAL):
            synced = {c["name"]: c for c in discord_server.synced_commands(None)}
    for name in CREATIVE:
        assert synced[name]["integration_types"] == [GUILD_INSTALL, USER_INSTALL], name
        assert synced[name]["contexts"] == [GUILD, BOT_DM, PRIVATE_CHANNEL], name
    for name in SERVER_ONLY:
        assert synced[name]["integration_types"] == [GUILD_INSTALL], name
        assert synced[name]["contexts"] == [GUILD], name


@pytest.mark.asyncio
async def test_a_user_installed_digit_works_in_a_server_without_the_bot_buttons_too(
    discord_server, start_bot
):
    elsewhere = discord_server.world.add_foreign_guild("Elsewhere", locale="es-ES")
    async with start_bot(**GLOBAL):
        ix = await discord_server.inject_command(
            "digit", {"digit": 3, "seed": 2}, guild=elsewhere, installed_by="user", locale="es-ES"
        )
        grid = await discord_server.wait_for_reply(ix, lambda r: r.files)
        again = next(b for b in grid.buttons() if b["label"] == "Otra vez")
        press = await discord_server.inject_component(grid, again["custom_id"], locale="es-ES")
        redrawn = await discord_server.wait_for_reply(press, lambda r: r.files)
    assert ix.payload["authorizing_integration_owners"] == {"1": str(discord_server.alice.id)}
    assert ix.payload["guild_id"] == str(elsewhere.id) and not grid.ephemeral
    assert grid.embeds[0]["title"] == "Dígito 3"
    assert redrawn.message_id == grid.message_id
    assert discord_server.errors == []


@pytest.mark.asyncio
async def test_a_user_installed_poem_works_in_the_bots_dm_and_in_other_peoples_dms(discord_server, start_bot):
    async with (
        FakeOpenAI(reply=lambda body: "un verso\ny otro") as api,
        Poet(
            config=PoetConfig(
                base_url=api.base_url,
                api_key="sk-test-secret",
                model="m",
                moderation="off",
                max_retries=0,
                timeout_s=5.0,
            )
        ) as poet,
    ):
        async with start_bot(poet=poet, **GLOBAL):
            poems = []
            for where in ({"in_dm": True}, {"private_channel": True}):
                ix = await discord_server.inject_command(
                    "poem", {"topic": "el mar"}, installed_by="user", **where
                )
                poems.append(await discord_server.wait_for_edit(ix, finished_poem, timeout=10))
            press = await discord_server.inject_component(
                poems[1], next(b for b in poems[1].buttons() if b["label"] == "Another")["custom_id"]
            )
            await discord_server.wait_for_edit(press, finished_poem, timeout=10)
    assert [p.embeds[0]["title"] for p in poems] == ["A poem about el mar"] * 2
    assert all(p.embeds[0]["footer"]["text"] == "AI-generated · m" for p in poems)
    assert len(api.chat_requests) == 3
    assert discord_server.errors == []


@pytest.mark.asyncio
async def test_user_installed_morph_and_handwriting_work_in_a_dm(discord_server, start_bot):
    async with start_bot(**GLOBAL):
        morph = await discord_server.inject_command(
            "morph", {"start": 1, "end": 7, "frames": 4}, installed_by="user", in_dm=True
        )
        gif = await discord_server.wait_for_reply(morph, lambda r: r.files)
        data = np.load(MNIST_SLICE)
        upload = Upload("three.png", png_of(data["x_train"][data["y_train"] == 3][0] / 255.0, scale=10))
        written = await discord_server.inject_command(
            "handwriting", {"image": upload}, installed_by="user", in_dm=True
        )
        grid = await discord_server.wait_for_reply(written, lambda r: r.files)
    assert gif.files[0].filename == "morph.gif"
    assert grid.files[0].filename == "handwriting.png"


@pytest.mark.asyncio
async def test_fair_use_is_per_user_where_no_server_installed_the_bot(discord_server, start_bot):
    """A server's admin skips cooldowns in a server that installed the bot; through their own
    install, in a server without it, they are one more user."""
    limits = FairUseLimits(cooldowns_s={"digit": 60.0}, jobs_per_user=10, queue_size=10)
    admin = MEMBER_PERMISSIONS | MANAGE_GUILD
    elsewhere = discord_server.world.add_foreign_guild()
    async with start_bot(fair_use=limits, **GLOBAL):
        answers = []
        for _ in range(2):  # the installing server: its admin is exempt, as before
            ix = await discord_server.inject_command("digit", {"digit": 1}, member_permissions=admin)
            answers.append(await discord_server.wait_for_reply(ix, lambda r: r.files or r.ephemeral))
        for _ in range(2):
            ix = await discord_server.inject_command(
                "digit", {"digit": 1}, guild=elsewhere, installed_by="user", member_permissions=admin
            )
            answers.append(await discord_server.wait_for_reply(ix, lambda r: r.files or r.ephemeral))
    assert [bool(a.files) for a in answers] == [True, True, True, False]
    assert answers[3].ephemeral
    assert re.fullmatch(r"You can use /digit again <t:\d+:R>\.", answers[3].content)


@pytest.mark.asyncio
async def test_training_commands_are_not_offered_to_a_user_install(discord_server, start_bot):
    elsewhere = discord_server.world.add_foreign_guild()
    async with start_bot(**GLOBAL):
        for place in ({"in_dm": True}, {"guild": elsewhere}, {"private_channel": True}):
            with pytest.raises(InvalidInteraction, match="not offered"):
                await discord_server.inject_command("train start", installed_by="user", **place)
        with pytest.raises(InvalidInteraction, match="not offered"):
            await discord_server.inject_command("train-status", in_dm=True)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", "Training commands work only in a server that added the bot."),
        ("es-ES", "Los comandos de entrenamiento solo funcionan en un servidor que haya añadido el bot."),
    ],
)
async def test_an_admin_command_sent_from_a_server_without_the_bot_is_refused(
    discord_server, start_bot, tmp_path, locale, expected
):
    """A client whose command list is stale could still send one: the bot refuses it."""
    elsewhere = discord_server.world.add_foreign_guild()
    async with start_bot(training_dir=tmp_path / "runs", **GLOBAL):
        ix = await discord_server.inject_command(
            "model rollback",
            guild=elsewhere,
            installed_by="user",
            locale=locale,
            member_permissions=MEMBER_PERMISSIONS | MANAGE_GUILD,
            check=False,
        )
        answer = await ix.wait_for_callback()
    assert answer.ephemeral and answer.content == expected
