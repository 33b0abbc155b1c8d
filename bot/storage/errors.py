"""The database's failures: at start-up one line an operator can act on, never a traceback;
while serving, a reply the user understands."""

from __future__ import annotations

from genai_models.errors import GenAIError


class DatabaseError(Exception):
    """The database cannot be opened or migrated; `str()` says which file and what to do."""


class DatabaseUnavailableError(GenAIError):
    """The database went away while the bot serves (a server restarting, a network cut).

    Raised in place of the driver's error by `bot.storage.connection_loss`, for connection failures
    only, so a command that needs the database answers with this; the pool reconnects by
    itself once the database is back. `reason` is the driver's words, for the log only.
    """

    default_code = "database_unavailable"

    def __init__(self, reason: str = "") -> None:
        super().__init__()
        self.reason = reason
