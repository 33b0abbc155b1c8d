"""Everything PostgreSQL-only: how the engine connects, and what its refusals at start-up mean.

PostgreSQL is what several bot processes (shards, machines) share; SQLite stays the default for
one process. The tables and migrations are the same on both (see the package docstring).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

# A server that does not answer (a host down, a firewall dropping packets) fails a command in
# this many seconds instead of the driver's minute: the user gets an answer in time.
CONNECT_TIMEOUT_S = 5.0
# An advisory lock key (one int8) only start-up's migrations take: "genai-bot migrate".
MIGRATION_LOCK = 0x67656E61692D6D67


def is_postgres(url: URL) -> bool:
    return url.get_backend_name() == "postgresql"


def engine_options() -> dict:
    """pool_pre_ping: a pooled connection the server closed (a restart) is noticed and replaced
    before a command uses it, so the processes reconnect by themselves."""
    return {"pool_pre_ping": True, "connect_args": {"timeout": CONNECT_TIMEOUT_S}}


async def wait_for_other_migrations(connection: AsyncConnection) -> None:
    """Take the migration lock for the rest of `connection`'s transaction: a second process
    starting at the same moment waits here, then finds the schema already at its head."""
    await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def refusal_message(where: str, error: BaseException) -> str | None:
    """What an operator should do when the server refuses us at start-up; None: not a refusal."""
    try:
        import asyncpg
    except ImportError:
        return None
    said = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return (
            f"database {where} does not exist on the server: create it (createdb, or "
            "CREATE DATABASE) or fix the database name in GENAI_DATABASE_URL"
        )
    if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
        return f"the server of database {where} refused the user or password in GENAI_DATABASE_URL ({said})"
    if isinstance(error, asyncpg.PostgresError):
        return f"database {where} cannot be used: {said}"
    return None
