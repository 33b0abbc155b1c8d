"""The database's start-up failures: one line an operator can act on, never a traceback."""

from __future__ import annotations


class DatabaseError(Exception):
    """The database cannot be opened or migrated; `str()` says which file and what to do."""
