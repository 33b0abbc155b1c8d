"""Server settings and preferences in the database: the migration from the schema before them,
and the store's audit, version counter and forgetting, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from bot.guild_rules import SettingsStore
from bot.ops.logs import user_hash
from bot.storage import Database
from tests.storage.conftest import run_sql
from tests.storage.test_migrations import migrate_to

pytestmark = pytest.mark.asyncio

BEFORE_SETTINGS = "0003"


async def test_a_database_from_before_settings_is_upgraded_in_place(database_url):
    await migrate_to(database_url, BEFORE_SETTINGS)
    await run_sql(
        database_url,
        "INSERT INTO fair_use_cooldowns (user_id, command, ends_at) "
        "VALUES (42, 'digit', '2026-01-01 00:00:00+00')",
        "INSERT INTO generations (created_at, user_hash, command, options, outcome, "
        "duration_ms) VALUES ('2026-01-01 00:00:00+00', 'abc', 'digit', '{}', 'ok', 5)",
    )
    database = await Database.open(database_url)
    try:
        store = SettingsStore(database, retention_days=90)
        assert await store.version() == 0
        await store.set_guild(1, "cooldown.digit", 30.0, actor_id=42)
        assert await store.guild(1) == {"cooldown.digit": 30.0}
        assert await store.version() == 1
    finally:
        await database.close()
    assert await run_sql(database_url, "SELECT user_id, command FROM fair_use_cooldowns") == [(42, "digit")]
    assert await run_sql(database_url, "SELECT user_hash FROM generations") == [("abc",)]


async def test_each_change_is_audited_old_to_new_under_a_hashed_id(database_url):
    database = await Database.open(database_url)
    try:
        store = SettingsStore(database, retention_days=90)
        await store.set_guild(5, "language", "es", actor_id=11)
        await store.set_guild(5, "language", "en", actor_id=12)
        await store.set_guild(5, "language", None, actor_id=12)
        changes = await store.changes(5)
        raw = await run_sql(database_url, "SELECT actor_hash, key FROM settings_changes")
    finally:
        await database.close()
    assert [(c.old, c.new) for c in changes] == [(None, "es"), ("es", "en"), ("en", None)]
    assert [c.actor_hash for c in changes] == [user_hash(11), user_hash(12), user_hash(12)]
    assert all("11" not in hashed and "12" not in hashed for hashed, _ in raw)


async def test_forgetting_a_user_deletes_their_preferences_and_their_history(database_url):
    database = await Database.open(database_url)
    try:
        store = SettingsStore(database, retention_days=90)
        await store.set_preference(77, "language", "es")
        await store.set_preference(78, "language", "en")
        await store.set_guild(5, "persona", "calm", actor_id=77)  # as an admin of server 5
        await run_sql(
            database_url,
            "INSERT INTO fair_use_cooldowns (user_id, command, ends_at) VALUES "
            "(77, 'digit', '2026-01-01 00:00:00+00'), (77, 'poem', '2999-01-01 00:00:00+00')",
        )
        before = await store.version()
        await store.forget_user(77)
        kept_of_other = await store.preferences(78)
        rows = await run_sql(database_url, "SELECT guild_id, actor_hash FROM settings_changes")
        cooldowns = await run_sql(database_url, "SELECT command FROM fair_use_cooldowns")
        after = await store.version()
        assert await store.preferences(77) == {}
    finally:
        await database.close()
    assert kept_of_other == {"language": "en"}
    # The server's own change stays (the server's history), under the hashed id alone.
    assert sorted(rows, key=str) == sorted([(5, user_hash(77)), (None, user_hash(78))], key=str)
    assert after == before + 1  # every process's cache hears of it
    assert cooldowns == [("poem",)]  # a cooldown still running stays until it ends


async def test_a_database_that_goes_away_leaves_commands_on_the_operators_values(own_postgres_server, caplog):
    import logging

    from bot.guild_rules import OperatorBounds, ServerRules

    database = await Database.open(own_postgres_server.url())
    rules = ServerRules(
        OperatorBounds(cooldowns_s={"digit": 3.0}), SettingsStore(database, retention_days=90), poll=True
    )
    try:
        await rules.set_guild(1, "cooldown.digit", 30.0, actor_id=7)
        own_postgres_server.stop()
        with caplog.at_level(logging.WARNING, logger="bot.guild_rules.cache"):
            during = [await rules.rules(1) for _ in range(3)]
        own_postgres_server.start()
        after = await rules.rules(1)
    finally:
        await database.close()
    assert [r.cooldown_s("digit") for r in during] == [3.0, 3.0, 3.0]
    assert after.cooldown_s("digit") == 30.0  # read again once it is back
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "the operator's values apply" in warnings[0].getMessage()
