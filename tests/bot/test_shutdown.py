"""A clean stop with work in flight, through the real discord.py client and the loopback Discord:
new work is refused with "restarting", work in flight finishes within the grace period, whatever
is left is told so in place, and nothing stays "thinking…". (The real process and its signals:
tests/cli/test_signals.py.)"""

from __future__ import annotations

import asyncio

import pytest

from tests.bot.test_fair_use import HeldSampler, _limits
from tests.helpers import INTERRUPTED, final_state

RESTARTING = "I'm restarting. Please try again in a minute."


@pytest.mark.asyncio
async def test_work_in_flight_finishes_within_the_grace_period_and_new_work_is_refused(
    discord_server, start_bot, sampler
):
    held = HeldSampler(sampler)
    try:
        async with start_bot(load_sampler=lambda: held, fair_use=_limits()) as bot:
            jobs = [
                await discord_server.inject_command("morph", {"start": 2, "end": 5, "frames": 6})
                for _ in range(3)
            ]
            await discord_server.wait_for_reply(jobs[2], lambda r: "queue" in str(r.embeds))
            stopping = asyncio.create_task(bot.shut_down(grace_s=15.0))
            await asyncio.sleep(0.2)
            late = await discord_server.inject_command("digit", {"digit": 1})
            refused = await discord_server.wait_for_reply(late, lambda r: r.ephemeral and r.content)
            held.release.set()
            await asyncio.wait_for(stopping, 20)
            assert bot.is_closed()
    finally:
        held.release.set()
    assert refused.content == RESTARTING and refused.callback_type == 4
    assert [final_state(discord_server, ix) for ix in jobs] == ["result"] * 3


@pytest.mark.asyncio
async def test_work_left_after_the_grace_period_is_told_in_place(discord_server, start_bot, sampler):
    held = HeldSampler(sampler)
    try:
        async with start_bot(load_sampler=lambda: held, fair_use=_limits()) as bot:
            jobs = [await discord_server.inject_command("morph", {"start": 2, "end": 5}) for _ in range(3)]
            await discord_server.wait_for_reply(jobs[0], kind="callback")  # deferred, held
            await discord_server.wait_for_reply(jobs[2], lambda r: "queue" in str(r.embeds))
            loop = asyncio.get_running_loop()
            started = loop.time()
            await bot.shut_down(grace_s=1.0)
            took = loop.time() - started
            assert bot.is_closed()
    finally:
        held.release.set()
    assert 1.0 <= took < 4.0
    assert [final_state(discord_server, ix) for ix in jobs] == ["interrupted"] * 3
    assert not discord_server.errors


@pytest.mark.asyncio
async def test_a_deferral_answered_late_is_not_answered_twice_when_the_grace_ends(
    discord_server, start_bot, sampler
):
    """A queued /morph's deferral reaches Discord, but Discord's answer is slow and the grace
    ends meanwhile: the bot waits for that answer, then tells the user in place. Answering the
    interaction again instead is what Discord refuses ("already acknowledged")."""
    held = HeldSampler(sampler)
    try:
        async with start_bot(load_sampler=lambda: held, fair_use=_limits()) as bot:
            first = await discord_server.inject_command("morph", {"start": 2, "end": 5})
            await discord_server.wait_for_reply(first, kind="callback")  # deferred, held
            discord_server.answer_next_slowly("POST", "/interactions/{id}/{token}/callback", seconds=1.5)
            queued = await discord_server.inject_command("morph", {"start": 3, "end": 6})
            await discord_server.wait_for_reply(queued, kind="callback")  # taken, not yet answered
            await bot.shut_down(grace_s=0.2)
            assert bot.is_closed()
    finally:
        held.release.set()
    assert [final_state(discord_server, ix) for ix in (first, queued)] == ["interrupted"] * 2
    assert not discord_server.errors


@pytest.mark.asyncio
async def test_a_refusal_still_travelling_when_the_grace_ends_is_the_users_only_answer(
    discord_server, start_bot, sampler, caplog
):
    """A command arriving during the grace is refused with "restarting"; when Discord is slow to
    answer that refusal and the grace ends meanwhile, the refusal stands: answering the
    interaction again with "I had to restart" is what Discord refuses ("already acknowledged")."""
    held = HeldSampler(sampler)
    try:
        async with start_bot(load_sampler=lambda: held, fair_use=_limits()) as bot:
            busy = await discord_server.inject_command("morph", {"start": 2, "end": 5})
            await discord_server.wait_for_reply(busy, kind="callback")  # deferred, held
            stopping = asyncio.create_task(bot.shut_down(grace_s=0.5))
            await asyncio.sleep(0.1)
            discord_server.answer_next_slowly("POST", "/interactions/{id}/{token}/callback", seconds=1.5)
            late = await discord_server.inject_command("digit", {"digit": 1})
            await asyncio.wait_for(stopping, 20)
            assert bot.is_closed()
    finally:
        held.release.set()
    assert [r.content for r in discord_server.messages_for(late)] == [RESTARTING]
    assert final_state(discord_server, busy) == "interrupted"
    assert not discord_server.errors
    assert "1 finished, 1 interrupted and told so" in caplog.text  # the refused one came later


@pytest.mark.asyncio
async def test_a_callback_cut_off_by_the_shutdown_still_gets_the_restart_note_as_a_follow_up(
    discord_server, start_bot
):
    """/about's answer reaches Discord, slowly, as the grace ends and its task is cancelled:
    discord.py never learns it was answered. Discord refuses a second callback, so the note
    that the bot restarted comes as a follow-up instead of being lost."""
    async with start_bot() as bot:
        discord_server.answer_next_slowly("POST", "/interactions/{id}/{token}/callback", seconds=1.0)
        about = await discord_server.inject_command("about", {})
        await discord_server.wait_for(lambda r: r.method == "POST" and "/callback" in r.path)
        await bot.shut_down(grace_s=0.1)
    answers = discord_server.messages_for(about)
    assert answers[-1].kind == "followup" and answers[-1].content == INTERRUPTED
    [second_callback] = discord_server.take_rejections()  # what told the bot it was answered
    assert second_callback.response["code"] == 40060
