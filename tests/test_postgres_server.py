"""The throwaway PostgreSQL server the database tests run against (tests/postgres_server.py)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.postgres_server import PostgresServer


@pytest.mark.asyncio
async def test_a_fresh_database_is_empty_and_writable(postgres_database):
    connection = await asyncpg.connect(postgres_database.dsn)
    try:
        tables = await connection.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        await connection.execute("CREATE TABLE notes (body text)")
        await connection.execute("INSERT INTO notes VALUES ('hola')")
        body = await connection.fetchval("SELECT body FROM notes")
        version = await connection.fetchval("SHOW server_version_num")
    finally:
        await connection.close()
    assert tables == 0
    assert body == "hola"
    assert int(version) >= 130000  # DROP DATABASE … WITH (FORCE) needs 13


@pytest.mark.asyncio
async def test_each_test_gets_its_own_database(postgres_server, postgres_database):
    admin = await asyncpg.connect(postgres_server.dsn())
    try:
        names = {r["datname"] for r in await admin.fetch("SELECT datname FROM pg_database")}
    finally:
        await admin.close()
    assert postgres_database.name in names
    assert postgres_database.url == (
        f"postgresql+asyncpg://genai@127.0.0.1:{postgres_server.port}/{postgres_database.name}"
    )


@pytest.mark.asyncio
async def test_a_stopped_server_refuses_connections_and_comes_back_with_its_data(own_postgres_server):
    server = own_postgres_server
    connection = await asyncpg.connect(server.dsn())
    await connection.execute("CREATE TABLE kept (n int)")
    await connection.execute("INSERT INTO kept VALUES (7)")

    server.stop()
    assert not server.running
    with pytest.raises((OSError, asyncpg.PostgresError)):
        await connection.fetchval("SELECT 1")  # the open connection was cut
    with pytest.raises(OSError):
        await asyncpg.connect(server.dsn(), timeout=5)

    server.start()
    again = await asyncpg.connect(server.dsn())
    try:
        assert await again.fetchval("SELECT n FROM kept") == 7
    finally:
        await again.close()
    connection.terminate()


def test_close_stops_the_server_and_removes_its_folder():
    server = PostgresServer()
    server.start()
    root, pid_file = server.root, server.data_dir / "postmaster.pid"
    pid = int(pid_file.read_text().splitlines()[0])
    server.close()
    assert not root.exists()
    assert not running(pid)


def running(pid: int) -> bool:
    """The process exists and is not a zombie (an init that reaps slowly leaves those behind)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status
