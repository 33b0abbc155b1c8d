"""The SQLite database file deleted or replaced under a running bot: /readyz says so, commands
that need the database say it is unavailable, and nothing is written to the unlinked file."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from bot.ops.health import HealthServer
from tests.bot.test_health import _get

pytestmark = pytest.mark.asyncio


def _database_files(data_dir) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in data_dir.iterdir() if p.name.startswith("genai-bot.db")}


@pytest.mark.parametrize("change", ["deleted", "replaced"])
async def test_a_database_file_gone_from_under_the_bot_is_noticed(
    discord_server, start_bot, tmp_path, change
):
    data_dir = tmp_path / "data"
    async with (
        start_bot(data_dir=data_dir, owner_ids=frozenset({discord_server.alice.id})) as bot,
        HealthServer(bot, host="127.0.0.1", port=0) as health,
    ):
        status, _ = await _get(health, "/readyz")
        assert status == 200
        database = data_dir / "genai-bot.db"
        if change == "deleted":
            kept = os.open(database, os.O_RDONLY)  # the unlinked file, to see it is not written
            database.unlink()
            unlinked_size = os.fstat(kept).st_size
        else:
            shutil.copy(database, tmp_path / "copy.db")
            os.replace(tmp_path / "copy.db", database)  # a restore over it: another file now
        before = _database_files(data_dir)

        status, body = await _get(health, "/readyz")
        english = await discord_server.inject_command("train-status")
        spanish = await discord_server.inject_command("train-status", user=discord_server.bob)
        answers = [await discord_server.wait_for_reply(ix, lambda r: r.content) for ix in (english, spanish)]
        digit = await discord_server.inject_command("digit", {"digit": 4})
        await discord_server.wait_for_reply(digit, lambda r: r.files)  # no database needed

        assert status == 503
        report = json.loads(body)
        assert report["database"] is False
        assert report["database_problem"] == f"the database file was {change} while the bot ran"
        assert answers[0].content.startswith("The bot's database can't be reached right now")
        assert answers[1].content.startswith("No se puede acceder a la base de datos del bot")
        assert _database_files(data_dir) == before  # nothing recreated or grown beside it
        if change == "deleted":
            await discord_server.wait_until_quiet(digit, quiet=0.5)
            assert os.fstat(kept).st_size == unlinked_size
            os.close(kept)
