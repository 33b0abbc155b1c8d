"""`Database`: the bot's one engine and session factory, opened (checked, migrated) at start-up."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.storage import migrate, postgres, sqlite
from bot.storage.connection_loss import raise_unavailable_on_connection_loss
from bot.storage.errors import DatabaseError, DatabaseUnavailableError
from bot.storage.file_guard import DatabaseFileGuard

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

DATABASE_FILE = "genai-bot.db"
# A URL naming a database without its driver gets the async driver of that database.
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
SYNC_ONLY_DRIVERS = {"sqlite+pysqlite": "sqlite+aiosqlite", "postgresql+psycopg2": "postgresql+asyncpg"}


def default_url(data_dir: Path) -> URL:
    """The embedded default: an SQLite file in the data folder."""
    return URL.create("sqlite+aiosqlite", database=str(data_dir / DATABASE_FILE))


def settings_url(settings: Settings) -> URL | str:
    """GENAI_DATABASE_URL, else the default file under GENAI_DATA_DIR."""
    return settings.database_url or default_url(settings.data_dir)


def parse_url(raw: str | URL) -> URL:
    """`raw` as an async SQLAlchemy URL; DatabaseError (one line) when it cannot be one."""
    try:
        url = make_url(raw)
    except (sa_exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise DatabaseError(
            "GENAI_DATABASE_URL is not a database URL (expected e.g. sqlite+aiosqlite:///data/genai-bot.db "
            "or postgresql+asyncpg://user:password@host:5432/name)"
        ) from None
    driver = url.drivername
    if driver in SYNC_ONLY_DRIVERS:
        raise DatabaseError(
            f"GENAI_DATABASE_URL uses {driver}, which blocks: use {SYNC_ONLY_DRIVERS[driver]}"
        )
    return url.set(drivername=ASYNC_DRIVERS.get(driver, driver))


def describe(url: URL) -> str:
    """What to call the database in messages: its file, or its URL without the password."""
    path = sqlite.database_file(url) if sqlite.is_sqlite(url) else None
    return str(path) if path is not None else url.render_as_string(hide_password=True)


class Database:
    """The engine and the session factory every part of the bot shares.

    Build it with `await Database.open(url)`; then `async with database.session() as s:` and
    `async with database.session.begin() as s:` (commits, or rolls back on error).
    """

    def __init__(self, engine: AsyncEngine, *, where: str, revision: str) -> None:
        self.engine = engine
        self.where = where
        self.revision = revision  # the schema revision it was migrated to
        self._closing: asyncio.Future | None = None
        self.file_guard: DatabaseFileGuard | None = None  # an SQLite file's: see file_guard.py
        # expire_on_commit=False: rows stay readable after their session commits, with no lazy
        # reload (which async sessions cannot do implicitly).
        self.session: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        """PostgreSQL, which separate processes (shards) share; else SQLite, one process's."""
        return postgres.is_postgres(self.engine.url)

    @classmethod
    async def open(cls, raw_url: str | URL) -> Database:
        """Check, create (a new SQLite file) and migrate the database; DatabaseError if it can't."""
        url = parse_url(raw_url)
        where = describe(url)
        if sqlite.is_sqlite(url):
            path = sqlite.database_file(url)
            if path is not None:
                await asyncio.to_thread(sqlite.check_file, path)
        options = postgres.engine_options() if postgres.is_postgres(url) else {}
        try:
            engine = create_async_engine(url, **options)
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as exc:
            raise DatabaseError(f"cannot use GENAI_DATABASE_URL for {where}: {exc}") from None
        if sqlite.is_sqlite(url):
            sqlite.configure(engine)
        else:  # a server, which can go away while the bot runs
            raise_unavailable_on_connection_loss(engine)
        try:
            async with engine.begin() as connection:
                if postgres.is_postgres(url):
                    # Shard processes starting together would otherwise migrate at once.
                    await postgres.wait_for_other_migrations(connection)
                revision = await connection.run_sync(migrate.upgrade, where)
        except DatabaseError:
            await engine.dispose()
            raise
        except DatabaseUnavailableError as exc:
            await engine.dispose()
            cause = exc.__cause__
            refused = postgres.refusal_message(where, cause) if cause is not None else None
            raise DatabaseError(
                refused
                or (
                    f"cannot reach database {where} ({exc.reason}): is its server running, and "
                    "are the host and port in GENAI_DATABASE_URL right?"
                )
            ) from None
        except sa_exc.DBAPIError as exc:
            await engine.dispose()
            raise DatabaseError(failure_message(where, exc)) from None
        except OSError as exc:
            await engine.dispose()
            raise DatabaseError(f"cannot open database {where}: {exc.strerror or exc}") from None

        log.info("database %s at schema revision %s", where, revision)
        database = cls(engine, where=where, revision=revision)
        path = sqlite.database_file(url) if sqlite.is_sqlite(url) else None
        if path is not None:
            database.file_guard = DatabaseFileGuard(path)
            database.file_guard.install(engine)
        return database

    def problem(self) -> str | None:
        """Why the database can no longer be used (its file deleted or replaced), or None."""
        return self.file_guard.problem() if self.file_guard is not None else None

    async def close(self) -> None:
        """Close every connection. Safe to call from several tasks at once (a signal handler's
        and the shutdown's): they all wait for the one closing, which no caller can cancel."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self.engine.dispose())
        await asyncio.shield(self._closing)


# What the database drivers say, and what an operator should do about it.
_ADVICE = (
    (
        "locked",
        "is locked by another process (is another genai-bot using the same data "
        "folder?): stop it, or give this one its own GENAI_DATA_DIR",
    ),
    (
        "readonly",
        "is read-only: the bot needs to write to it (check the file's and its folder's "
        "permissions, or the mode=ro in GENAI_DATABASE_URL)",
    ),
    ("read-only", "is read-only: the bot needs to write to it"),
    (
        "not a database",
        "is not a database (damaged, or another kind of file): move it aside or "
        "set GENAI_DATABASE_URL to another file",
    ),
    ("malformed", "is damaged (SQLite says it is malformed): restore a backup or move it aside"),
    ("unable to open", "cannot be opened: check that its folder exists and is writable"),
)


def failure_message(where: str, error: sa_exc.DBAPIError) -> str:
    said = str(error.orig).splitlines()[0] if error.orig is not None else str(error)
    for clue, advice in _ADVICE:
        if clue in said.lower():
            return f"database {where} {advice}"
    return f"database {where} cannot be used: {said}"
