"""The settings of /poem on local servers: read, defaulted and checked like the others."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

LOCAL = {"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"}


def test_a_local_server_gets_one_poem_at_a_time_and_openai_several():
    assert load_settings(LOCAL).poet.concurrency == 1
    assert load_settings({"OPENAI_API_KEY": "sk-x"}).poet.concurrency == 8


def test_the_poem_settings_are_read():
    poet = load_settings(
        LOCAL
        | {
            "OPENAI_MAX_CONCURRENCY": "4",
            "OPENAI_DEADLINE": "45",
            "OPENAI_SYSTEM_PROMPT": "User",
        }
    ).poet
    assert (poet.concurrency, poet.deadline_s) == (4, 45.0)
    assert poet.system_prompt_role == "user"


def test_the_defaults_are_a_20_s_deadline_and_a_system_prompt():
    poet = load_settings(LOCAL).poet
    assert (poet.deadline_s, poet.system_prompt_role) == (20.0, "system")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OPENAI_MAX_CONCURRENCY", "0", "between 1 and 64"),
        ("OPENAI_DEADLINE", "2", "between 5.0 and 600.0"),
        ("OPENAI_MAX_CONCURRENCY", "many", "a whole number"),
        ("OPENAI_SYSTEM_PROMPT", "developer", "one of system, user"),
    ],
)
def test_bad_values_name_the_variable(name, value, message):
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings(LOCAL | {name: value})
    assert name in str(caught.value)
