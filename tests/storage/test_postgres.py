"""PostgreSQL only: the URL forms it accepts, its refusals at start-up, and a server that goes
away and comes back while the bot's Database is open (a real server, stopped and started)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.storage import Database, DatabaseError
from bot.storage.errors import DatabaseUnavailableError
from bot.storage.migrate import head_revision
from bot.storage.schema import TrainingJob
from genai_models.catalogue import english

pytestmark = pytest.mark.asyncio


async def count_jobs(database: Database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(TrainingJob))


async def add_job(database: Database) -> None:
    async with database.session.begin() as session:
        session.add(TrainingJob(started_by=1, state="finished", total_epochs=1, job_dir="j"))


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
async def test_a_url_without_a_driver_gets_asyncpg(postgres_database, scheme):
    plain = postgres_database.dsn.replace("postgresql://", f"{scheme}://")
    database = await Database.open(plain)
    try:
        assert database.engine.url.drivername == "postgresql+asyncpg"
        assert await count_jobs(database) == 0
    finally:
        await database.close()


async def test_an_unreachable_server_is_refused_in_one_line_saying_what_to_check(own_postgres_server):
    url = own_postgres_server.url()
    own_postgres_server.stop()
    with pytest.raises(DatabaseError) as caught:
        await Database.open(url)
    message = str(caught.value)
    assert message.startswith(f"cannot reach database {url} (ConnectionRefusedError")
    assert message.endswith("is its server running, and are the host and port in GENAI_DATABASE_URL right?")
    assert "\n" not in message


async def test_a_missing_database_and_a_refused_user_say_so(postgres_server):
    with pytest.raises(DatabaseError, match=r"/nosuch does not exist on the server: create it"):
        await Database.open(postgres_server.url("nosuch"))
    stranger = postgres_server.url().replace("genai@", "stranger:s3cret@")
    with pytest.raises(DatabaseError, match=r"refused the user or password") as caught:
        await Database.open(stranger)
    assert "s3cret" not in str(caught.value)  # the password never reaches a message


async def test_the_server_going_away_is_unavailable_and_coming_back_needs_no_reopen(own_postgres_server):
    server = own_postgres_server
    database = await Database.open(server.url())
    try:
        await add_job(database)
        server.stop()
        for _ in range(2):  # the pooled connection found dead, then a refused new one
            with pytest.raises(DatabaseUnavailableError) as caught:
                await count_jobs(database)
            assert caught.value.code == "database_unavailable"
            assert str(caught.value) == english("database_unavailable")
            assert caught.value.reason  # the driver's words, for the log
        server.start()
        assert await count_jobs(database) == 1  # the same Database, reconnected by itself
        await add_job(database)

        server.stop()  # restarted while idle: the pool's connections are all stale
        server.start()
        assert await count_jobs(database) == 2
    finally:
        await database.close()


async def test_errors_that_are_not_outages_stay_what_they_are(postgres_database):
    database = await Database.open(postgres_database.url)
    try:
        with pytest.raises(Exception) as caught:
            async with database.session.begin() as session:
                session.add(
                    TrainingJob(started_by=1, state="x", total_epochs=1, job_dir="j", resumed_from=12345)
                )
        assert not isinstance(caught.value, DatabaseUnavailableError)
        assert "foreign key" in str(caught.value).lower()
    finally:
        await database.close()


async def test_processes_opening_a_fresh_database_at_once_migrate_it_once(postgres_database):
    opened = await asyncio.gather(*(Database.open(postgres_database.url) for _ in range(3)))
    try:
        assert {database.revision for database in opened} == {head_revision()}
        assert await count_jobs(opened[0]) == 0
    finally:
        for database in opened:
            await database.close()
