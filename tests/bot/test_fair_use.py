"""Fair use through the real discord.py client and the loopback Discord: a flood by one user
queues (positions shown and edited in place, results in the same message) while others are
served first; cooldowns, the per-user limit, a full queue, and the allow and deny lists.

HeldSampler is the real sampler whose morphs wait for a release: inference cannot be stood in
for by a loopback server, and holding it makes "the bot is busy" a state the test controls.
"""

from __future__ import annotations

import asyncio
import re
import threading

import pytest

from bot.fair_use.limits import AccessLists, FairUseLimits

GIF = "morph.gif"


class HeldSampler:
    def __init__(self, sampler) -> None:
        self._sampler = sampler
        self.version = sampler.version
        self.release = threading.Event()

    def morph(self, *args, **kwargs):
        self.release.wait(20)
        return self._sampler.morph(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._sampler, name)


def _limits(**changes) -> FairUseLimits:
    base = dict(cooldowns_s={}, jobs_per_user=10, model_concurrency=1, queue_size=10)
    return FairUseLimits(**(base | changes))


def _description(reply) -> str:
    return reply.embeds[0].get("description", "") if reply.embeds else ""


def _positions(server, ix) -> list[int]:
    found = []
    for reply in server.messages_for(ix):
        match = re.search(r"number (\d+) in the queue", _description(reply))
        if match:
            found.append(int(match.group(1)))
    return found


@pytest.mark.asyncio
async def test_a_flood_by_one_user_queues_with_positions_and_others_go_first(
    discord_server, start_bot, sampler
):
    held = HeldSampler(sampler)
    try:
        async with start_bot(load_sampler=lambda: held, fair_use=_limits()):
            floods = [
                await discord_server.inject_command("morph", {"start": 1, "end": 7, "frames": 4})
                for _ in range(4)
            ]
            # The first runs (held); the other three wait, each shown its place.
            for ix, position in zip(floods[1:], (1, 2, 3), strict=True):
                shown = await discord_server.wait_for_reply(
                    ix, lambda r, p=position: f"number {p} in the queue" in _description(r)
                )
                assert shown.kind == "edit" and not shown.ephemeral
            bob = await discord_server.inject_command("digit", {"digit": 2}, user=discord_server.bob)
            await discord_server.wait_for_reply(bob, lambda r: "puesto 1 de la cola" in _description(r))
            # Bob, with nothing running, goes ahead of Alice's waiting morphs.
            await discord_server.wait_for_reply(floods[3], lambda r: "number 4 in" in _description(r))
            held.release.set()
            bob_done = await discord_server.wait_for_reply(bob, lambda r: r.files, timeout=20)
            results = [
                await discord_server.wait_for_reply(ix, lambda r: r.files, timeout=30) for ix in floods
            ]
    finally:
        held.release.set()
    assert bob_done.files[0].filename == "digits.png"
    assert all(r.files[0].filename == GIF for r in results)
    assert bob_done.at < results[1].at  # served before the flood's second job
    # Each result replaced the queue notice in the same message: no new message, no leftovers.
    for ix, result in zip(floods[1:], results[1:], strict=True):
        placeholder = discord_server.messages_for(ix)[0]
        assert placeholder.callback_type == 5
        assert result.kind == "edit" and result.target == "@original"
        assert result.message_id == discord_server.messages_for(ix)[1].message_id
        assert "queue" not in _description(result)
    # Each waiting morph was pushed back one place by Bob, then only ever moved forward.
    for ix, first in zip(floods[1:], (1, 2, 3), strict=True):
        positions = _positions(discord_server, ix)
        assert positions[:2] == [first, first + 1], positions
        assert positions[1:] == sorted(positions[1:], reverse=True), positions


@pytest.mark.asyncio
async def test_a_cooldown_says_when_to_try_again_and_owners_are_exempt(discord_server, start_bot):
    limits = _limits(cooldowns_s={"digit": 60.0}, owner_ids=frozenset({discord_server.bob.id}))
    async with start_bot(fair_use=limits) as bot:
        first = await discord_server.inject_command("digit", {"digit": 1})
        await discord_server.wait_for_reply(first, lambda r: r.files)
        again = await discord_server.inject_command("digit", {"digit": 1})
        refused = await discord_server.wait_for_reply(again, lambda r: r.ephemeral and r.content)
        spanish = await discord_server.inject_command("digit", {"digit": 1}, locale="es-ES")
        refused_es = await discord_server.wait_for_reply(spanish, lambda r: r.ephemeral and r.content)
        owner_runs = [
            await discord_server.inject_command("digit", {}, user=discord_server.bob) for _ in range(2)
        ]
        for ix in owner_runs:
            await discord_server.wait_for_reply(ix, lambda r: r.files)
        other = await discord_server.inject_command("morph", {"start": 1, "end": 2, "frames": 2})
        await discord_server.wait_for_reply(other, lambda r: r.files)  # a cooldown is per command
        metrics = bot.metrics.refusals.labels(command="digit", reason="cooldown")._value.get()
    assert refused.callback_type == 4
    assert re.fullmatch(r"You can use /digit again <t:\d+:R>\.", refused.content)
    assert re.fullmatch(r"Podrás volver a usar /digit <t:\d+:R>\.", refused_es.content)
    wait = int(re.search(r"<t:(\d+):R>", refused.content).group(1)) - refused.at
    assert metrics == 2
    assert wait > 0


@pytest.mark.asyncio
async def test_one_user_may_have_only_so_many_jobs_at_once(discord_server, start_bot, sampler):
    held = HeldSampler(sampler)
    try:
        async with start_bot(load_sampler=lambda: held, fair_use=_limits(jobs_per_user=2)):
            running = [await discord_server.inject_command("morph", {"start": 3, "end": 4}) for _ in range(2)]
            await discord_server.wait_for_reply(running[1], lambda r: "queue" in _description(r))
            third = await discord_server.inject_command("morph", {"start": 3, "end": 4})
            refused = await discord_server.wait_for_reply(third, lambda r: r.ephemeral and r.content)
            held.release.set()
            for ix in running:
                await discord_server.wait_for_reply(ix, lambda r: r.files, timeout=20)
            # Once they are done, the user may start again.
            later = await discord_server.inject_command("morph", {"start": 3, "end": 4, "frames": 2})
            await discord_server.wait_for_reply(later, lambda r: r.files, timeout=20)
    finally:
        held.release.set()
    assert refused.content == (
        "You've reached your limit of requests in progress (2). Wait for one to finish, then try again."
    )


@pytest.mark.asyncio
async def test_a_full_queue_asks_to_come_back_later(discord_server, start_bot, sampler):
    held = HeldSampler(sampler)
    users = [discord_server.add_user(f"user{i}") for i in range(3)]
    try:
        async with start_bot(load_sampler=lambda: held, fair_use=_limits(queue_size=1)):
            running = await discord_server.inject_command("morph", {"start": 0, "end": 9}, user=users[0])
            waiting = await discord_server.inject_command("morph", {"start": 0, "end": 9}, user=users[1])
            await discord_server.wait_for_reply(waiting, lambda r: "number 1 in" in _description(r))
            full = await discord_server.inject_command("morph", {"start": 0, "end": 9}, user=users[2])
            refused = await discord_server.wait_for_reply(full, lambda r: r.ephemeral and r.content)
            held.release.set()
            for ix in (running, waiting):
                await discord_server.wait_for_reply(ix, lambda r: r.files, timeout=20)
    finally:
        held.release.set()
    assert re.fullmatch(
        r"I'm very busy right now \(1 requests waiting\)\. Please try again <t:\d+:R>\.", refused.content
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "rule", ["deny_guild", "allow_other_guild", "deny_channel", "allow_role", "deny_role"]
)
async def test_allow_and_deny_lists(discord_server, start_bot, rule):
    member = discord_server.add_role("members")
    muted = discord_server.add_role("muted")
    carol = discord_server.add_user("carol", roles=(member,))
    dave = discord_server.add_user("dave", roles=(member, muted))
    guild, channel = discord_server.guild_id, discord_server.channel_id
    access = {
        "deny_guild": AccessLists(denied_guilds=frozenset({guild})),
        "allow_other_guild": AccessLists(allowed_guilds=frozenset({guild + 1})),
        "deny_channel": AccessLists(denied_channels=frozenset({channel})),
        "allow_role": AccessLists(allowed_roles=frozenset({member})),
        "deny_role": AccessLists(allowed_roles=frozenset({member}), denied_roles=frozenset({muted})),
    }[rule]
    expected = {  # who gets an answer: alice has no role, carol is a member, dave a muted member
        "deny_guild": set(),
        "allow_other_guild": set(),
        "deny_channel": set(),
        "allow_role": {"carol", "dave"},
        "deny_role": {"carol"},
    }[rule]
    async with start_bot(fair_use=_limits(access=access, model_concurrency=4)):
        answers = {}
        for user in (discord_server.alice, carol, dave):
            ix = await discord_server.inject_command("digit", {"digit": 5}, user=user)
            answers[user.username] = await discord_server.wait_for_reply(
                ix, lambda r: r.files or (r.ephemeral and r.content)
            )
    served = {name for name, reply in answers.items() if reply.files}
    assert served == expected
    place = "I can't be used in this channel. Try another channel, or ask a server admin."
    roles = (
        "Your roles keep you from using me in this server. Ask a server admin if you think they shouldn't."
    )
    for name, reply in answers.items():
        if name not in served:  # another channel helps only when the place kept them out
            assert reply.content == (roles if rule.endswith("_role") else place), (name, reply.content)
    async with start_bot(fair_use=_limits(access=access, model_concurrency=4)):
        for user in (discord_server.alice, carol, dave):  # a privacy request is never kept out
            ix = await discord_server.inject_command("preferences forget", {}, user=user)
            forgot = await discord_server.wait_for_reply(ix, lambda r: r.ephemeral and r.content)
            assert forgot.content.startswith("Done"), (user.username, forgot.content)


@pytest.mark.asyncio
async def test_the_again_button_counts_against_the_digit_cooldown(discord_server, start_bot):
    async with start_bot(fair_use=_limits(cooldowns_s={"digit": 60.0})):
        ix = await discord_server.inject_command("digit", {"digit": 8, "seed": 3})
        first = await discord_server.wait_for_reply(ix, lambda r: r.files)
        again = next(b for b in first.buttons() if b["label"] == "Again")
        press = await discord_server.inject_component(first, again["custom_id"])
        refused = await discord_server.wait_for_reply(press, lambda r: r.ephemeral and r.content)
        await asyncio.sleep(0.2)
    assert refused.content.startswith("You can use /digit again <t:")
    assert discord_server.message(first.message_id)["attachments"]  # the grid is untouched


@pytest.mark.asyncio
async def test_members_who_manage_the_server_skip_the_cooldown(discord_server, start_bot):
    from tests.fakes.discord_interactions import APPLICATION_COMMAND
    from tests.fakes.discord_world import MEMBER_PERMISSIONS

    manage_guild = 1 << 5

    async def digit_as(permissions: int):
        definition = next(
            c for c in discord_server.synced_commands(discord_server.guild_id) if c["name"] == "digit"
        )
        payload = discord_server.builder.base(
            APPLICATION_COMMAND,
            user=discord_server.bob,
            locale="en-US",
            guild_locale=None,
            app_permissions=None,
            in_dm=False,
        )
        payload["member"]["permissions"] = str(permissions)
        payload["data"] = discord_server.builder.command_data(
            "digit", {"digit": 2}, definition, channel_id=discord_server.channel_id, check=True
        )
        ix = await discord_server.inject_interaction(payload)
        return await discord_server.wait_for_reply(ix, lambda r: r.files or r.ephemeral)

    async with start_bot(fair_use=_limits(cooldowns_s={"digit": 60.0}, model_concurrency=2)):
        admin = [await digit_as(MEMBER_PERMISSIONS | manage_guild) for _ in range(3)]
        member = [await digit_as(MEMBER_PERMISSIONS) for _ in range(2)]
    assert all(reply.files for reply in admin)
    # Without it the same user is held to the cooldown (exempt uses started none).
    assert [bool(reply.files) for reply in member] == [True, False]
    assert member[1].content.startswith("You can use /digit again <t:")


class FailingGrids(HeldSampler):
    """Morphs wait for a release; grids fail once `fail` is set (a model that broke meanwhile)."""

    fail = False

    def digits(self, *args, **kwargs):
        if self.fail:
            raise RuntimeError("the model broke")
        return self._sampler.digits(*args, **kwargs)


@pytest.mark.asyncio
async def test_a_queued_press_that_fails_gives_the_grid_back_not_the_queue_notice(
    discord_server, start_bot, sampler
):
    """The queue's notice stands in the grid's message while a press waits; when the redraw
    then fails, the user is told privately and the grid they had comes back."""
    held = FailingGrids(sampler)
    try:
        async with start_bot(load_sampler=lambda: held, fair_use=_limits()):
            ix = await discord_server.inject_command("digit", {"digit": 8, "seed": 3})
            grid = await discord_server.wait_for_reply(ix, lambda r: r.files)
            busy = await discord_server.inject_command("morph", {"start": 2, "end": 5})
            await discord_server.wait_for_reply(busy, kind="callback")  # holds the one slot
            held.fail = True
            again = next(b for b in grid.buttons() if b["label"] == "Again")
            press = await discord_server.inject_component(grid, again["custom_id"])
            await discord_server.wait_for_reply(press, lambda r: "queue" in _description(r))
            held.release.set()
            told = await discord_server.wait_for_reply(press, lambda r: r.ephemeral and r.content)
            replies = await discord_server.wait_until_quiet(press)
    finally:
        held.release.set()
    assert told.kind == "followup"
    shown = [r.message for r in replies if r.kind == "edit"][-1]
    assert shown["embeds"] == grid.message["embeds"]  # the grid, not "number 1 in the queue"
