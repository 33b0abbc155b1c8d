"""Option values Discord's client would block, sent anyway (a stale client, a changed command, a
forged request): each gets the client's kind of sentence, ephemerally and at once, with no ERROR
and no traceback in the log; and the bot enforces exactly the limits it advertises."""

from __future__ import annotations

import logging

import pytest

from tests.fakes.discord_interactions import APPLICATION_COMMAND, BOOLEAN, INTEGER, STRING

STALE = (
    "Your Discord may show an old version of this command: restart Discord (Ctrl+R on desktop) and try again."
)


async def _forged(server, name: str, valid: dict, *, change: dict | None = None, drop=(), add=None):
    """/name built from `valid` options, then changed as no client would: `change` maps an
    option to (type, value), `drop` removes options, `add` appends raw ones."""
    definition = next(c for c in server.synced_commands(server.guild_id) if c["name"] == name)
    payload = server.builder.base(
        APPLICATION_COMMAND,
        user=server.alice,
        locale=None,
        guild_locale=None,
        app_permissions=None,
        in_dm=False,
    )
    data = server.builder.command_data(name, valid, definition, channel_id=server.channel_id, check=False)
    options = [o for o in data.get("options", []) if o["name"] not in drop]
    for option in options:
        if option["name"] in (change or {}):
            option["type"], option["value"] = change[option["name"]]
    data["options"] = options + list(add or [])
    payload["data"] = data
    return await server.inject_interaction(payload)


CASES = {
    "negative seed": ("digit", {"seed": -1}, {}, "`seed` must be between 0 and 2147483647."),
    "count over the advertised 25": ("digit", {"count": 100}, {}, "`count` must be between 1 and 25."),
    "count zero": ("digit", {"count": 0}, {}, "`count` must be between 1 and 25."),
    "count=true": (
        "digit",
        {"count": 3},
        {"change": {"count": (BOOLEAN, True)}},
        f"`count`: that value isn't valid. {STALE}",
    ),
    "digit as a float": (
        "digit",
        {"digit": 3},
        {"change": {"digit": (INTEGER, 3.5)}},
        f"`digit`: that value isn't valid. {STALE}",
    ),
    'end="nine"': (
        "morph",
        {"start": 1, "end": 9},
        {"change": {"end": (STRING, "nine")}},
        f"`end`: that value isn't valid. {STALE}",
    ),
    "frames over the advertised 60": (
        "morph",
        {"start": 1, "end": 2, "frames": 240},
        {},
        "`frames` must be between 2 and 60.",
    ),
    "missing required end": (
        "morph",
        {"start": 1, "end": 2},
        {"drop": ("end",)},
        "`end` is required. Fill it in and try again.",
    ),
    "an option the command no longer has": (
        "digit",
        {"digit": 1},
        {"add": [{"name": "style", "type": STRING, "value": "bold"}]},
        "This command has no `style` option any more. Restart Discord (Ctrl+R on desktop) to get the current "
        "command, then try again.",
    ),
    "a morph image that is not an attachment": (
        "morph",
        {"start": 1, "end": 2},
        {"add": [{"name": "start_image", "type": 11, "value": "123"}]},
        f"`start_image`: that value isn't valid. {STALE}",
    ),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("case", list(CASES))
async def test_a_forged_option_value_gets_the_clients_message_and_no_error(
    discord_server, start_bot, caplog, case
):
    command, valid, forgery, expected = CASES[case]
    with caplog.at_level(logging.INFO):
        async with start_bot():
            ix = await _forged(discord_server, command, valid, **forgery)
            answer = await discord_server.wait_for_reply(ix, lambda r: r.ephemeral and r.content)
    assert answer.callback_type == 4 and answer.elapsed < 3.0
    assert answer.content == expected
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
    assert not [r for r in discord_server.replies.items if r.files]  # no work was done


@pytest.mark.asyncio
async def test_in_spanish_too(discord_server, start_bot):
    async with start_bot():
        ix = await discord_server.inject_command("digit", {"seed": -5}, locale="es-ES", check=False)
        answer = await discord_server.wait_for_reply(ix, lambda r: r.ephemeral and r.content)
    assert answer.content == "`seed` debe estar entre 0 y 2147483647."


@pytest.mark.asyncio
async def test_the_advertised_limits_themselves_are_accepted(discord_server, start_bot):
    async with start_bot():
        ix = await discord_server.inject_command("digit", {"digit": 9, "count": 25, "seed": 2**31 - 1})
        reply = await discord_server.wait_for_reply(ix, lambda r: r.files, timeout=20)
    assert reply.files[0].filename == "digits.png"


@pytest.mark.asyncio
async def test_a_forged_morph_target_is_refused_without_an_error(discord_server, start_bot, caplog):
    with caplog.at_level(logging.INFO):
        async with start_bot():
            ix = await discord_server.inject_command("digit", {"digit": 4, "seed": 1})
            grid = await discord_server.wait_for_reply(ix, lambda r: r.files)
            morph_to = next(b for b in grid.buttons() if b["label"] == "Morph to…")
            press = await discord_server.inject_component(grid, morph_to["custom_id"])
            picker = await discord_server.wait_for_reply(press, lambda r: r.components)
            select = picker.components[0]["components"][0]
            pick = await discord_server.inject_component(picker, select["custom_id"], values=["11"])
            answer = await discord_server.wait_for_reply(pick, lambda r: r.ephemeral and r.content)
    assert answer.content == "`target`: pick one of the values in the list."
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.asyncio
async def test_a_topic_of_invisible_characters_is_refused_like_an_empty_one(discord_server, start_bot, poet):
    async with start_bot(poet=poet):
        ix = await discord_server.inject_command("poem", {"topic": "\u200b\u200b\u200d"})
        answer = await discord_server.wait_for_reply(ix, lambda r: r.ephemeral and r.content)
    assert answer.callback_type == 4
    assert "topic" in answer.content.lower()
