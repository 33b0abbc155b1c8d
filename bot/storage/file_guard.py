"""Noticing the SQLite file deleted or replaced while the bot runs.

SQLite keeps using the file it opened: deleted, it goes on writing to the unlinked inode (lost
at the next start); replaced (a restore, a copy over it), the open connections still see the
old one. So the file's identity (device and inode) is remembered when the database is opened
and checked before each statement and before each new connection: a file that is no longer
the same makes them fail with DatabaseUnavailableError, so commands that need the database
answer that it is unavailable and nothing is written; /readyz reports the problem.
Statements fail, not the pool's checkout: a failed checkout closes its connection, and the
last connection to close makes SQLite fold its write-ahead log into the file (the old one) and
delete the log by name (the new one's); a new connection would create a file where the old one
was. Checking is one stat() call, cheaper than the thread hand-off of any query, so it runs
inline.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)


class DatabaseFileGuard:
    """The identity of one SQLite file, and whether the file at its path is still that one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity = _identity(path)
        self._reported: str | None = None

    def problem(self) -> str | None:
        """Why the database cannot be used any more (for /readyz and the log), or None."""
        try:
            now = _identity(self.path)
        except FileNotFoundError:
            return "the database file was deleted while the bot ran"
        except OSError as exc:
            return f"the database file cannot be checked ({exc.strerror or exc})"
        if now != self._identity:
            return "the database file was replaced while the bot ran"
        return None

    def install(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "do_connect", self._before_connect)
        event.listen(engine.sync_engine, "before_cursor_execute", self._before_statement)

    def _before_connect(self, dialect, connection_record, cargs, cparams) -> None:
        self.refuse_if_changed()  # returning None: the dialect connects as usual

    def _before_statement(self, connection, cursor, statement, parameters, context, executemany) -> None:
        self.refuse_if_changed()

    def refuse_if_changed(self) -> None:
        """Raise DatabaseUnavailableError (logged once) when the file is not the one opened."""
        problem = self.problem()
        if problem is None:
            return
        if problem != self._reported:  # once, not at every command
            self._reported = problem
            log.error(
                "database %s: %s; nothing more is written to it. Put the file back (or "
                "restore it) and restart the bot",
                self.path,
                problem,
            )
        raise DatabaseUnavailableError(problem)


def _identity(path: Path) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino
