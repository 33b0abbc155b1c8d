"""`genai-bot run` with an unusable database: one line on stderr, exit 2, the file untouched."""

from __future__ import annotations

import pytest

from tests.cli.test_run import finish, start_cli


@pytest.mark.asyncio
async def test_run_with_a_corrupt_database_file_says_so_in_one_line(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    corrupt = data_dir / "genai-bot.db"
    corrupt.write_bytes(b"\x00garbage" * 100)
    run = await finish(
        await start_cli("run", env={"DISCORD_TOKEN": "x" * 59, "GENAI_DATA_DIR": str(data_dir)}, cwd=tmp_path)
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"genai-bot: {corrupt} is not an SQLite database (damaged, or another kind of file): "
        "move it aside or set GENAI_DATABASE_URL to another file"
    ]
    assert "Traceback" not in run.stderr + run.stdout
    assert corrupt.read_bytes() == b"\x00garbage" * 100
