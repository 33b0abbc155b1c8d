"""LOG_FORMAT=json: one JSON object per line, per-interaction lines carrying command, a hashed
user id, guild, duration and outcome, and never the raw user id, the token or the prompt."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from bot.ops.logs import JsonFormatter, user_hash


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.asyncio
async def test_each_interaction_is_one_structured_line_without_secrets(
    discord_server, start_bot, poet, json_lines
):
    topic = "un secreto muy privado sobre la luna"
    async with start_bot(poet=poet):
        ix = await discord_server.inject_command("digit", {"digit": 6, "count": 2})
        await discord_server.wait_for_reply(ix, lambda r: r.files)
        bad = await discord_server.inject_command("digit", {"count": 99}, check=False)
        await discord_server.wait_for_reply(bad, lambda r: r.ephemeral)
        poem = await discord_server.inject_command("poem", {"topic": topic})
        await discord_server.wait_for_reply(
            poem, lambda r: r.embeds and "AI-generated" in str(r.embeds) and not r.loading, timeout=10
        )
        for _ in range(100):  # the poem's last edit keeps the streaming pace: wait for its line
            if any(line.get("command") == "poem" for line in json_lines()):
                break
            await asyncio.sleep(0.1)
    lines = json_lines()
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    done = [line for line in lines if line.get("outcome")]
    by_outcome = {(line["command"], line["outcome"]): line for line in done}
    digit = by_outcome[("digit", "ok")]
    assert digit["user"] == user_hash(discord_server.alice.id)
    assert digit["guild"] == discord_server.guild_id
    assert isinstance(digit["duration_ms"], int) and digit["duration_ms"] >= 0
    assert ("digit", "option_range") in by_outcome
    assert ("poem", "ok") in by_outcome
    text = "\n".join(json.dumps(line) for line in lines)
    assert str(discord_server.alice.id) not in text
    assert discord_server.token not in text
    assert topic not in text
