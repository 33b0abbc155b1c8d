"""The shipped Alembic revisions: from an empty file, and from every earlier schema revision."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from bot.storage import Database
from bot.storage.migrate import alembic_config, head_revision
from bot.storage.tables import Base

REVISIONS = list(reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())))


def migrate_to(path, revision: str) -> None:
    """Bring the file at `path` to `revision` the way an older genai-bot left it."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def schema_differences(path) -> list:
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    return differences


@pytest.mark.asyncio
async def test_an_empty_file_is_migrated_to_exactly_the_tables_the_code_declares(tmp_path):
    path = tmp_path / "bot.db"
    path.touch()  # an empty file is an empty SQLite database, not a damaged one
    database = await Database.open(f"sqlite+aiosqlite:///{path}")
    await database.close()
    assert database.revision == head_revision()
    assert schema_differences(path) == []


def test_revisions_form_one_line_numbered_in_order():
    assert [revision.revision for revision in REVISIONS] == [
        f"{number:04d}" for number in range(1, len(REVISIONS) + 1)]
    assert [revision.down_revision for revision in REVISIONS] == [
        None, *(revision.revision for revision in REVISIONS[:-1])]


# Every revision but the head; while there is one revision, the test starts from it.
@pytest.mark.parametrize("revision", REVISIONS[:-1] or REVISIONS, ids=lambda r: r.revision)
@pytest.mark.asyncio
async def test_a_database_at_an_earlier_revision_is_migrated_keeping_its_rows(tmp_path, revision):
    path = tmp_path / "bot.db"
    migrate_to(path, revision.revision)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO training_jobs (started_by, created_at, parameters, state, epoch, "
            "total_epochs, metrics, job_dir) VALUES (7, '2026-01-01 00:00:00', '{}', 'finished', "
            "2, 2, '{}', 'jobs/1')")
    database = await Database.open(f"sqlite+aiosqlite:///{path}")
    await database.close()
    assert database.revision == head_revision()
    assert schema_differences(path) == []
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT started_by, state FROM training_jobs").fetchall() == [
            (7, "finished")]


def test_every_revision_downgrades_to_the_one_before(tmp_path):
    path = tmp_path / "bot.db"
    migrate_to(path, "head")
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    engine.dispose()
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master "
                                                       "WHERE type = 'table'")}
    assert tables == {"alembic_version"}
