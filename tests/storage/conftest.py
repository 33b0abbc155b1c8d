"""The database layer's tests run on both databases the bot supports: each test that takes
`database_url` (tests/conftest.py) runs once on a fresh SQLite file and once on a fresh
PostgreSQL database. `run_sql` and `run_sync` reach either one from a test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def run_sync(url: str, work: Callable[[Any], Any]) -> Any:
    """`work(connection)` on a sync Connection to `url`, in one transaction (Alembic's API is
    synchronous: this is how the bot runs it too)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


async def run_sql(url: str, *statements: str) -> list[tuple]:
    """Run plain SQL statements in one transaction; the last one's rows (if it returns any)."""

    def work(connection) -> list[tuple]:
        rows: list[tuple] = []
        for statement in statements:
            result = connection.execute(text(statement))
            rows = [tuple(row) for row in result] if result.returns_rows else []
        return rows

    return await run_sync(url, work)
