"""Everything SQLite-only lives here: checks on the file before opening it, and the pragmas.

The rest of the package is dialect-neutral; a server database (PostgreSQL) skips this module.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.errors import DatabaseError

SQLITE_HEADER = b"SQLite format 3\x00"
# How long a writer waits for another one's lock before failing: long enough for the bot's
# own short transactions, short enough that a second bot on the same file fails clearly.
BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def database_file(url: URL) -> Path | None:
    """The file an SQLite URL names (None for an in-memory database)."""
    name = url.database
    if not name or name == ":memory:" or url.query.get("mode") == "memory":
        return None
    if name.startswith("file:"):  # a URI filename (uri=true), e.g. file:/data/bot.db?mode=ro
        name = name[len("file:") :].split("?", 1)[0]
    return Path(name)


def check_file(path: Path) -> None:
    """Refuse, before SQLite sees it, a path that is not an SQLite database or cannot be one.

    An existing file is never replaced or emptied: a wrong one is the operator's to move aside.
    """
    if path.is_dir():
        raise DatabaseError(f"database {path} is a folder, not a file: point GENAI_DATABASE_URL at a file")
    if path.exists():
        try:
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise DatabaseError(f"cannot read database {path}: {exc.strerror or exc}") from None
        if header and header != SQLITE_HEADER:
            raise DatabaseError(
                f"{path} is not an SQLite database (damaged, or another kind of "
                "file): move it aside or set GENAI_DATABASE_URL to another file"
            )
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create the folder {path.parent} for the database: "
            f"{exc.strerror or exc} (set GENAI_DATA_DIR or GENAI_DATABASE_URL)"
        ) from None


def configure(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, enforced foreign keys, and transactions that SQLAlchemy begins (the
    sqlite3 module's own would leave DDL outside them, so a failed migration could stop half-way).

    Every transaction takes the write lock when it begins (BEGIN IMMEDIATE). A deferred one that
    reads, then writes after another connection committed (the audit writer does, at any
    moment) cannot upgrade its stale snapshot: SQLite fails it at once with "database is
    locked", without waiting out the busy timeout. Taken up front, the lock is waited for.
    The bot's transactions are short, so serialising them costs nothing users see."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None  # the driver opens no transaction by itself
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            try:
                cursor.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as exc:
                # A read-only file cannot switch modes; the write check at start-up says so.
                if "readonly" not in str(exc) and "read-only" not in str(exc):
                    raise
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
