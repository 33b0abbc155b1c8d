"""A poem's button state, by message id, on both databases: kept, replaced, pruned with the
audit log, and gone for a message never kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.features.poems.state import PoemStates, ShownPoem
from bot.ops.audit import AuditLog
from bot.storage import Database
from genai_models.text import PoemRequest

MESSAGE_ID = 1579207759830712322  # a snowflake past 2**60: BigInteger on both databases


@pytest.mark.asyncio
async def test_a_poems_state_is_kept_replaced_and_pruned_with_the_audit_log(database_url):
    database = await Database.open(database_url)
    try:
        states = PoemStates(database)
        topic = "la luna " + "ñ" * 280  # a long topic: more than any custom id holds
        await states.save(MESSAGE_ID, ShownPoem(PoemRequest(topic, "es", "haiku"), "verso"))
        await states.save(MESSAGE_ID, ShownPoem(PoemRequest(topic, "es", "ode"), "otro verso"))
        kept = await states.load(MESSAGE_ID)
        missing = await states.load(MESSAGE_ID + 1)
        audit = AuditLog(database, retention_days=30, model_version=lambda resource: None)
        await audit.prune(now=datetime.now(UTC) + timedelta(days=29))
        within = await states.load(MESSAGE_ID)
        await audit.prune(now=datetime.now(UTC) + timedelta(days=31))
        pruned = await states.load(MESSAGE_ID)
    finally:
        await database.close()
    assert kept == ShownPoem(PoemRequest(topic, "es", "ode"), "otro verso")
    assert missing is None
    assert within == kept
    assert pruned is None


@pytest.mark.asyncio
async def test_without_a_database_nothing_is_kept():
    states = PoemStates(None)
    await states.save(MESSAGE_ID, ShownPoem(PoemRequest("el mar"), "verso"))
    assert not states.keeps and await states.load(MESSAGE_ID) is None
