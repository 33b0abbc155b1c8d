"""Losing the database while serving: connection failures become DatabaseUnavailableError.

Two public SQLAlchemy events see them. `do_connect` makes every new connection: any failure
there (refused, timed out, a server starting up or shutting down, too many clients) is
re-raised as `DatabaseUnavailableError`, the driver's error as its cause. `handle_error` sees
errors on open connections: those SQLAlchemy judges a disconnect (the server closed it) are
re-raised the same way. Other errors (a constraint, bad SQL) stay as they are: bugs, not
outages. The command tree answers a DatabaseUnavailableError like any GenAIError. The pool
drops a connection found dead and, with `pool_pre_ping`, tests each before use, so once the
database is back the next command reconnects by itself.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.errors import DatabaseUnavailableError


def raise_unavailable_on_connection_loss(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "do_connect", _connect)
    event.listen(engine.sync_engine, "handle_error", _translate)


def _connect(dialect, connection_record, cargs, cparams):
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as exc:
        raise DatabaseUnavailableError(_reason(exc)) from exc


def _translate(context: ExceptionContext) -> BaseException | None:
    if context.is_pre_ping:
        return None  # the pool handles its own ping's failure: it reconnects
    if context.is_disconnect:
        return DatabaseUnavailableError(_reason(context.original_exception))
    return None


def _reason(error: BaseException) -> str:
    said = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {said}" if said else type(error).__name__
