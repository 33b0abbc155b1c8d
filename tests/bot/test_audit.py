"""The audit log of generations in the bot's real SQLite database, through the loopback Discord:
who (hashed) made what, where, with which options and model, and how it went; refusals are not
generations; rows older than the retention period are removed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.fair_use.limits import FairUseLimits
from bot.ops.logs import user_hash
from bot.storage.audit_schema import Generation

COLUMNS = "user_hash, guild_id, channel_id, command, options, outcome, duration_ms, model_version"


def _rows(data_dir) -> list[dict]:
    with sqlite3.connect(data_dir / "genai-bot.db") as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(f"SELECT {COLUMNS} FROM generations ORDER BY id").fetchall()
    return [dict(row) | {"options": json.loads(row["options"])} for row in rows]


@pytest.mark.asyncio
async def test_each_generation_is_recorded_with_who_where_what_and_which_model(
    discord_server, start_bot, sampler, tmp_path, poet
):
    data_dir = tmp_path / "audited"
    limits = FairUseLimits(cooldowns_s={"digit": 60.0}, model_concurrency=2)
    async with start_bot(fair_use=limits, data_dir=data_dir, poet=poet):
        digit = await discord_server.inject_command("digit", {"digit": 3, "count": 2, "seed": 5})
        grid = await discord_server.wait_for_reply(digit, lambda r: r.files)
        cooled = await discord_server.inject_command("digit", {"digit": 3})  # refused: no row
        await discord_server.wait_for_reply(cooled, lambda r: r.ephemeral)
        forged = await discord_server.inject_command(
            "morph", {"start": 1, "end": 2, "frames": 0}, check=False
        )  # refused: no row
        await discord_server.wait_for_reply(forged, lambda r: r.ephemeral)
        morph = await discord_server.inject_command(
            "morph", {"start": 1, "end": 7, "frames": 4}, user=discord_server.bob
        )
        await discord_server.wait_for_reply(morph, lambda r: r.files)
        poem = await discord_server.inject_command("poem", {"topic": "la luna"})
        await discord_server.wait_for_reply(poem, lambda r: "AI-generated" in str(r.embeds), timeout=10)
        again = next(b for b in grid.buttons() if b["label"] == "Again")
        press = await discord_server.inject_component(grid, again["custom_id"])  # cooled: no row
        await discord_server.wait_for_reply(press, lambda r: r.ephemeral)
        await discord_server.wait_until_quiet(poem, quiet=1.5)
    # A row is written when its interaction's task ends, which for a morph can be after a poem
    # that started later: compare in the order the commands were given.
    order = ["digit", "morph", "poem"]
    rows = sorted(_rows(data_dir), key=lambda row: order.index(row["command"]))
    alice, bob = user_hash(discord_server.alice.id), user_hash(discord_server.bob.id)
    assert [(r["command"], r["user_hash"], r["outcome"]) for r in rows] == [
        ("digit", alice, "ok"),
        ("morph", bob, "ok"),
        ("poem", alice, "ok"),
    ]
    digit_row, morph_row, poem_row = rows
    assert digit_row["guild_id"] == discord_server.guild_id
    assert digit_row["channel_id"] == discord_server.channel_id
    assert digit_row["options"] == {"digit": 3, "count": 2, "seed": 5}
    assert digit_row["model_version"] == str(sampler.version)
    assert morph_row["options"] == {"start": 1, "end": 7, "frames": 4}
    assert poem_row["options"] == {"topic": "la luna"} and poem_row["model_version"] == poet.model
    assert all(r["duration_ms"] >= 0 for r in rows)
    assert str(discord_server.alice.id) not in json.dumps(rows)


@pytest.mark.asyncio
async def test_rows_past_the_retention_period_are_removed(discord_server, start_bot, tmp_path):
    data_dir = tmp_path / "kept"
    async with start_bot(data_dir=data_dir, audit_retention_days=7) as bot:
        now = datetime.now(UTC)
        async with bot.database.session.begin() as session:
            for age_days in (30, 8, 6, 0):
                session.add(
                    Generation(
                        created_at=now - timedelta(days=age_days),
                        user_hash="x" * 16,
                        command=f"digit-{age_days}",
                        outcome="ok",
                        duration_ms=1,
                    )
                )
        removed = await bot.audit.prune(now=now)
    assert removed == 2
    assert [r["command"] for r in _rows(data_dir)] == ["digit-6", "digit-0"]


@pytest.mark.asyncio
async def test_a_retention_of_zero_keeps_no_audit_log(discord_server, start_bot, tmp_path):
    data_dir = tmp_path / "unaudited"
    async with start_bot(data_dir=data_dir, audit_retention_days=0) as bot:
        ix = await discord_server.inject_command("digit", {"digit": 1})
        await discord_server.wait_for_reply(ix, lambda r: r.files)
        assert bot.audit is None
    assert _rows(data_dir) == []


@pytest.mark.asyncio
async def test_closing_the_bot_lets_a_command_in_flight_reply_and_be_recorded(
    discord_server, start_bot, tmp_path
):
    """A close without shut_down's grace (a failed start, a supervisor's stop) still lets the
    work in flight finish before the database closes: the user gets the morph, the log its row."""
    data_dir = tmp_path / "closing"
    async with start_bot(data_dir=data_dir) as bot:
        morph = await discord_server.inject_command("morph", {"start": 1, "end": 7, "frames": 8})
        while not len(bot.in_flight):  # noqa: ASYNC110 (no event says "admitted"; polled)
            await asyncio.sleep(0.001)
    reply = await discord_server.wait_for_reply(morph, lambda r: r.files, timeout=5)
    assert reply.files
    assert [(r["command"], r["outcome"]) for r in _rows(data_dir)] == [("morph", "ok")]
