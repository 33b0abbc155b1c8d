"""The shipped Alembic revisions: from an empty database, and from every earlier schema
revision, on SQLite and on PostgreSQL alike (`database_url`, tests/storage/conftest.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.storage import Database
from bot.storage.migrate import alembic_config, head_revision
from bot.storage.tables import Base
from tests.storage.conftest import run_sql, run_sync

REVISIONS = list(reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())))


async def migrate_to(url: str, revision: str, *, down: bool = False) -> None:
    """Bring the database at `url` to `revision` the way an older genai-bot left it."""

    def work(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    await run_sync(url, work)


async def schema_differences(url: str) -> list:
    return await run_sync(
        url, lambda connection: compare_metadata(MigrationContext.configure(connection), Base.metadata)
    )


@pytest.mark.asyncio
async def test_an_empty_database_is_migrated_to_exactly_the_tables_the_code_declares(database_url):
    if database_url.startswith("sqlite"):
        # An empty file is an empty SQLite database, not a damaged one.
        await asyncio.to_thread(Path(database_url.split("///", 1)[1]).touch)
    database = await Database.open(database_url)
    await database.close()
    assert database.revision == head_revision()
    assert await schema_differences(database_url) == []


def test_revisions_form_one_line_numbered_in_order():
    assert [revision.revision for revision in REVISIONS] == [
        f"{number:04d}" for number in range(1, len(REVISIONS) + 1)
    ]
    assert [revision.down_revision for revision in REVISIONS] == [
        None,
        *(revision.revision for revision in REVISIONS[:-1]),
    ]


# Every revision but the head; while there is one revision, the test starts from it.
@pytest.mark.parametrize("revision", REVISIONS[:-1] or REVISIONS, ids=lambda r: r.revision)
@pytest.mark.asyncio
async def test_a_database_at_an_earlier_revision_is_migrated_keeping_its_rows(database_url, revision):
    await migrate_to(database_url, revision.revision)
    await run_sql(
        database_url,
        "INSERT INTO training_jobs (started_by, created_at, parameters, state, epoch, "
        "total_epochs, metrics, job_dir) VALUES (7, '2026-01-01 00:00:00+00', '{}', "
        "'finished', 2, 2, '{}', 'jobs/1')",
    )
    database = await Database.open(database_url)
    await database.close()
    assert database.revision == head_revision()
    assert await schema_differences(database_url) == []
    assert await run_sql(database_url, "SELECT started_by, state FROM training_jobs") == [(7, "finished")]


@pytest.mark.asyncio
async def test_every_revision_downgrades_to_the_one_before(database_url):
    await migrate_to(database_url, "head")
    await migrate_to(database_url, "base", down=True)
    tables = await run_sync(database_url, lambda connection: inspect(connection).get_table_names())
    assert set(tables) == {"alembic_version"}
