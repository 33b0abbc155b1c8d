"""Alembic, run from the package: bring a database to the newest schema this code knows.

The migration scripts ship inside the package (migrations/), so an installed wheel migrates
without an alembic.ini or a source checkout. `upgrade` runs on the connection it is given, in
that connection's transaction: a failed migration leaves the database as it was.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from bot.storage.errors import DatabaseError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


def alembic_config() -> Config:
    """Alembic's configuration without an .ini file: the shipped scripts, no logging set-up."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest schema revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(connection: Connection, where: str) -> str:
    """Migrate `connection`'s database to the head revision; returns that revision.

    Refuses (DatabaseError) a database written by a newer genai-bot, and one that holds tables
    but no schema version (another program's database): neither is ever altered.
    """
    script = ScriptDirectory.from_config(alembic_config())
    known = {revision.revision for revision in script.walk_revisions()}
    current = MigrationContext.configure(connection).get_current_heads()
    unknown = [revision for revision in current if revision not in known]
    if unknown:
        raise DatabaseError(
            f"database {where} has schema revision {', '.join(unknown)}, newer than this genai-bot "
            f"knows (newest: {script.get_current_head()}): upgrade genai-bot, or point "
            "GENAI_DATABASE_URL at another database"
        )
    if not current:
        foreign = sorted(set(inspect(connection).get_table_names()) - {VERSION_TABLE})
        if foreign:
            raise DatabaseError(
                f"database {where} holds tables ({', '.join(foreign[:3])}{'…' if len(foreign) > 3 else ''}) "
                "but no genai-bot schema "
                "version: it belongs to something else; point GENAI_DATABASE_URL at another database"
            )
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    head = script.get_current_head()
    if current != (head,):
        log.info(
            "database %s migrated from %s to schema revision %s", where, ", ".join(current) or "empty", head
        )
    # A write now, inside the same transaction: a read-only or locked database fails here, at
    # start-up, rather than at the first /train start.
    connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = version_num"))
    return head
