"""SHARD_COUNT and SHARD_IDS: parsed, checked together, and turned into the right bot."""

from __future__ import annotations

import pytest

from bot.client import GenAIBot, ShardedGenAIBot, make_bot
from bot.settings import SettingsError, load_settings
from bot.worker_pool import WorkerPool


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("0", (0,)),
        ("0,1", (0, 1)),
        ("0-3", (0, 1, 2, 3)),
        ("5, 0-1 ,3", (0, 1, 3, 5)),
        ("2-2", (2,)),
    ],
)
def test_shard_ids_take_lists_and_ranges(raw, ids):
    settings = load_settings({"SHARD_COUNT": "8", "SHARD_IDS": raw})
    assert settings.shard_ids == ids and settings.shard_count == 8 and settings.sharded


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHARD_IDS": "0"}, r"^SHARD_IDS is set but SHARD_COUNT is not: set SHARD_COUNT"),
        (
            {"SHARD_COUNT": "2", "SHARD_IDS": "0,2"},
            r"^SHARD_IDS has shard 2, but with SHARD_COUNT=2 the shards are 0 to 1",
        ),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0-2,2"}, r"^SHARD_IDS lists shard 2 more than once"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3-1"}, r"^SHARD_IDS has the range '3-1': write low-high"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "one"}, r"^SHARD_IDS must list shard numbers such as 0,1"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0,,1"}, r"^SHARD_IDS must list shard numbers"),
        ({"SHARD_COUNT": "0"}, r"^SHARD_COUNT must be between 1 and"),
        ({"SHARD_COUNT": "two"}, r"^SHARD_COUNT must be a whole number"),
    ],
)
def test_wrong_combinations_are_refused_naming_the_setting(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def test_unset_means_one_unsharded_process_that_syncs():
    settings = load_settings({})
    assert settings.shard_count is None and settings.shard_ids is None
    assert not settings.sharded and settings.syncs_commands


@pytest.mark.parametrize(
    ("env", "syncs"),
    [
        ({"SHARD_COUNT": "2"}, True),  # one process holding every shard
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0-1"}, True),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "2-3"}, False),
    ],
)
def test_only_the_process_holding_shard_0_syncs_the_commands(env, syncs):
    assert load_settings(env).syncs_commands is syncs


def test_make_bot_opens_only_this_processs_shards():
    with WorkerPool(workers=1, timeout_s=5) as pool:
        plain = make_bot(load_settings({}), pool=pool)
        some = make_bot(load_settings({"SHARD_COUNT": "4", "SHARD_IDS": "2,3"}), pool=pool)
        every = make_bot(load_settings({"SHARD_COUNT": "3"}), pool=pool)
        told = make_bot(load_settings({"SHARD_COUNT": "4", "SHARD_IDS": "2"}), pool=pool, sync_commands=True)
    # Never started, so nothing to close.
    assert type(plain) is GenAIBot and plain.syncs_commands
    assert isinstance(some, ShardedGenAIBot)
    assert (some.shard_count, some.shard_ids) == (4, [2, 3]) and not some.syncs_commands
    assert (every.shard_count, every.shard_ids) == (3, None) and every.syncs_commands
    assert told.syncs_commands
