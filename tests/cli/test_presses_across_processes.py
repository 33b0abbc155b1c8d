"""A press on a button answered by another process than the one that sent it: after a `kill -9`
(a new `genai-bot run` on the same data folder), and by the other of two shard processes."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from tests.fakes.discord_server import DiscordStandIn
from tests.fakes.openai_server import FakeOpenAI
from tests.shard_processes import ShardProcess, start_shard_process, until_serving


def button(reply, label: str) -> dict:
    return next(b for b in reply.buttons() if b.get("label") == label)


def finished_poem(reply) -> bool:
    return (
        bool(reply.embeds)
        and not reply.embeds[0]["description"].endswith("▌")
        and any(not b.get("disabled") for b in reply.buttons())
    )


def poem_env(api: FakeOpenAI) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": api.base_url,
        "OPENAI_API_KEY": "sk-test-secret",
        "OPENAI_MODEL": "fake-poet-1",
        "OPENAI_MODERATION": "off",
    }


def numbered_poems():
    counter = itertools.count(1)
    return lambda body: f"poem {next(counter)}, first line\nand a second"


async def until_a_new_session(server: DiscordStandIn, before: int, *, timeout: float = 240.0) -> None:  # noqa: ASYNC109
    """Until a session opened after the first `before` is ready (a restarted bot's)."""
    deadline = time.monotonic() + timeout
    while not any(s.ready.is_set() and not s.closed for s in server.sessions[before:]):
        if time.monotonic() > deadline:
            raise TimeoutError("the restarted bot never connected")
        await asyncio.sleep(0.2)


@pytest.mark.asyncio
@pytest.mark.slow
async def test_after_a_kill_9_a_new_process_answers_the_old_buttons(tmp_path):
    async with DiscordStandIn() as server, FakeOpenAI(reply=numbered_poems()) as api:
        env = poem_env(api) | {"DEV_GUILD_ID": str(server.guild_id)}
        first = await start_shard_process(server, shard_ids="0", shard_count=1, workdir=tmp_path, env=env)
        try:
            await until_serving(server, [first])
            ix = await server.inject_command("digit", {"digit": 4, "count": 2, "seed": 9})
            grid = await server.wait_for_reply(ix, lambda r: r.files, timeout=60)
            ix = await server.inject_command("poem", {"topic": "la luna", "form": "haiku"})
            poem = await server.wait_for_edit(ix, finished_poem, timeout=60)
        finally:
            first.process.kill()  # SIGKILL: no shutdown, nothing flushed on the way out
            await first.process.wait()
        sessions = len(server.sessions)
        # The same folder (so the same data folder and database), as a supervisor restarts it.
        second = await start_shard_process(server, shard_ids="0", shard_count=1, workdir=tmp_path, env=env)
        try:
            await until_a_new_session(server, sessions)
            again = await server.inject_component(grid, button(grid, "Again")["custom_id"])
            redrawn = await server.wait_for_reply(again, lambda r: r.files, timeout=60)
            another = await server.inject_component(poem, button(poem, "Another")["custom_id"])
            rewritten = await server.wait_for_edit(another, finished_poem, timeout=60)
        finally:
            code = await second.stop()
    assert first.process.returncode == -9
    assert code == 0, second.log
    assert redrawn.message_id == grid.message_id and redrawn.files[0].filename == "digits.png"
    assert rewritten.message_id == poem.message_id
    assert rewritten.embeds[0]["description"].startswith("poem 2")
    assert "Traceback" not in second.log


@pytest.mark.asyncio
@pytest.mark.slow
async def test_a_press_reaching_the_other_shard_process_is_answered_by_it(tmp_path, postgres_database):
    """Discord resharding moves a guild's events to another shard, held by another process:
    a press there on a message the first process sent is answered as if nothing moved."""
    async with DiscordStandIn(shard_count=2) as server, FakeOpenAI(reply=numbered_poems()) as api:
        guild = server.world.move_guild_to_shard(server.world.guild, 0, 2)
        env = poem_env(api) | {
            "GENAI_DATABASE_URL": postgres_database.url,
            "GENAI_COOLDOWNS": "poem=0,digit=0",
        }
        processes: list[ShardProcess] = [
            await start_shard_process(server, shard_ids=ids, shard_count=2, workdir=tmp_path, env=env)
            for ids in ("0", "1")
        ]
        try:
            await until_serving(server, processes)
            ix = await server.inject_command("poem", {"topic": "la luna"}, guild=guild)
            poem = await server.wait_for_edit(ix, finished_poem, timeout=60)
            ix = await server.inject_command("digit", {"digit": 2, "seed": 3}, guild=guild)
            grid = await server.wait_for_reply(ix, lambda r: r.files, timeout=60)
            presses = [
                await server.inject_component(poem, button(poem, "Another")["custom_id"], shard=1),
                await server.inject_component(grid, button(grid, "Again")["custom_id"], shard=1),
            ]
            rewritten = await server.wait_for_edit(presses[0], finished_poem, timeout=60)
            redrawn = await server.wait_for_reply(presses[1], lambda r: r.files, timeout=60)
        finally:
            codes = [await p.stop() for p in processes]
        logs = [p.log for p in processes]
    assert codes == [0, 0], logs
    shard_1 = next(s for s in server.sessions if tuple(s.identify["shard"]) == (1, 2))
    assert [n for _, _, n in shard_1.sent].count("INTERACTION_CREATE") == 2  # the presses only
    assert rewritten.message_id == poem.message_id
    assert rewritten.embeds[0]["description"].startswith("poem 2")
    assert redrawn.message_id == grid.message_id
    assert "Traceback" not in logs[0] + logs[1]
