"""bot.storage.Database on real SQLite files and a real PostgreSQL server: created, migrated,
and refused when unusable. Tests taking `database_url` run on both (tests/storage/conftest.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from bot.settings import Settings
from bot.storage import Database, DatabaseError, default_url, settings_url
from bot.storage import sqlite as storage_sqlite
from bot.storage.migrate import head_revision
from bot.storage.schema import ModelVersion, TrainingJob
from tests.storage.conftest import run_sql

pytestmark = pytest.mark.asyncio


def url_of(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def test_a_new_file_is_created_in_wal_mode_at_the_newest_schema(tmp_path):
    data_dir = tmp_path / "not" / "yet" / "there"
    database = await Database.open(default_url(data_dir))
    await database.close()
    path = data_dir / "genai-bot.db"
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    assert {"training_jobs", "model_versions", "alembic_version"} <= tables
    assert database.revision == head_revision()


async def test_rows_survive_reopening_and_times_come_back_in_utc(database_url):
    url = database_url
    database = await Database.open(url)
    async with database.session.begin() as session:
        job = TrainingJob(
            started_by=123456789012345678,
            guild_id=2**62,
            state="running",
            total_epochs=2,
            job_dir="jobs/1",
            parameters={"epochs": 2},
        )
        session.add(job)
    await database.close()

    database = await Database.open(url)
    async with database.session() as session:
        stored = (await session.scalars(select(TrainingJob))).one()
    await database.close()
    assert (stored.started_by, stored.guild_id, stored.parameters) == (
        123456789012345678,
        2**62,
        {"epochs": 2},
    )
    assert stored.created_at.utcoffset().total_seconds() == 0


async def test_foreign_keys_are_enforced(database_url):
    database = await Database.open(database_url)
    with pytest.raises(sa_exc.IntegrityError, match=r"(?i)foreign key"):
        async with database.session.begin() as session:
            session.add(ModelVersion(version="v1", path="p", state="rejected", created_by_job=99))
    await database.close()


async def test_the_url_defaults_to_a_file_in_the_data_folder_and_sqlite_gets_the_async_driver(tmp_path):
    assert settings_url(Settings(data_dir=tmp_path)) == default_url(tmp_path)
    assert settings_url(Settings(data_dir=tmp_path, database_url="sqlite:///x.db")) == "sqlite:///x.db"
    database = await Database.open(f"sqlite:///{tmp_path / 'plain.db'}")  # no driver named
    assert database.engine.url.drivername == "sqlite+aiosqlite"
    await database.close()


async def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "bot.db"
    path.write_bytes(b"my notes, not a database\n" * 40)
    with pytest.raises(DatabaseError, match=rf"^{path} is not an SQLite database .*move it aside"):
        await Database.open(url_of(path))
    assert path.read_bytes() == b"my notes, not a database\n" * 40


async def test_a_damaged_sqlite_file_is_refused_in_one_line(tmp_path):
    path = tmp_path / "bot.db"
    await (await Database.open(url_of(path))).close()  # a real database first
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the header stays; the schema page is garbage
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError) as caught:
        await Database.open(url_of(path))
    message = str(caught.value)
    assert message.startswith(f"database {path} ") and "\n" not in message
    assert "damaged" in message


async def test_a_database_locked_by_another_process_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(storage_sqlite, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "bot.db"
    await (await Database.open(url_of(path))).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        with pytest.raises(DatabaseError, match=rf"^database {path} is locked by another process"):
            await Database.open(url_of(path))
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_read_only_database_is_refused_at_start_up(tmp_path):
    path = tmp_path / "bot.db"
    await (await Database.open(url_of(path))).close()
    with pytest.raises(DatabaseError, match=rf"^database {path} is read-only"):
        await Database.open(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")


async def test_a_database_from_a_newer_genai_bot_is_refused_and_not_touched(database_url):
    await (await Database.open(database_url)).close()
    await run_sql(database_url, "UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(DatabaseError, match=r"schema revision 9999, newer than this genai-bot knows"):
        await Database.open(database_url)
    assert await run_sql(database_url, "SELECT version_num FROM alembic_version") == [("9999",)]


async def test_another_programs_database_is_refused_and_not_touched(database_url):
    await run_sql(database_url, "CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(DatabaseError, match=r"holds tables \(invoices\) but no genai-bot schema"):
        await Database.open(database_url)
    tables = await run_sql(
        database_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        if database_url.startswith("postgresql")
        else "SELECT name FROM sqlite_master",
    )
    assert tables == [("invoices",)]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "is not a database URL"),
        ("postgres://bot:secret@host:notaport/db", "is not a database URL"),  # the port
        ("postgresql://bot:secret@[::1/db", "is not a database URL"),
        ("sqlite+pysqlite:///x.db", r"which blocks: use sqlite\+aiosqlite"),
        ("postgresql+psycopg2://h/db", r"which blocks: use postgresql\+asyncpg"),
        ("nosuchdb://host/x", "cannot use GENAI_DATABASE_URL"),
    ],
)
async def test_unusable_urls_are_refused_in_one_line(url, expected):
    with pytest.raises(DatabaseError, match=expected):
        await Database.open(url)


async def test_a_data_folder_that_cannot_be_created_is_refused(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(DatabaseError, match=rf"^cannot create the folder {blocker} for the database"):
        await Database.open(default_url(blocker))


async def test_a_transaction_that_reads_then_writes_survives_another_writer_committing_between(tmp_path):
    """In WAL mode a deferred transaction whose snapshot went stale cannot take the write lock:
    SQLite fails it at once ("database is locked"), busy timeout or not. The bot's transactions
    take the lock when they begin, so the second one waits for the first instead."""
    path = tmp_path / "bot.db"
    first, second = await Database.open(url_of(path)), await Database.open(url_of(path))
    try:
        async with first.session.begin() as session:
            session.add(
                TrainingJob(started_by=1, state="running", total_epochs=2, job_dir="jobs/1", parameters={})
            )
        reader_has_read = asyncio.Event()

        async def read_then_write() -> None:
            async with first.session.begin() as session:
                job = (await session.execute(select(TrainingJob))).scalar_one()
                reader_has_read.set()
                await asyncio.sleep(0.2)  # the other writer tries to commit meanwhile
                job.state = "finished"

        async def write_meanwhile() -> None:
            await reader_has_read.wait()
            async with second.session.begin() as session:
                session.add(
                    TrainingJob(
                        started_by=2, state="running", total_epochs=2, job_dir="jobs/2", parameters={}
                    )
                )

        await asyncio.gather(read_then_write(), write_meanwhile())
        async with first.session() as session:
            states = sorted((await session.execute(select(TrainingJob.state))).scalars())
        assert states == ["finished", "running"]
    finally:
        await first.close()
        await second.close()
