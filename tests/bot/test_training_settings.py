"""The settings of issue 11: data folder, database URL, owners, training data, swap thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings


def test_defaults():
    settings = load_settings({})
    assert settings.data_dir == Path("data") and settings.database_url is None
    assert settings.owner_ids == frozenset() and settings.training_data is None
    assert (settings.swap_max_elbo_increase, settings.swap_min_fidelity) == (2.0, 0.98)


def test_values_are_read():
    settings = load_settings(
        {
            "GENAI_DATA_DIR": "/srv/bot",
            "GENAI_DATABASE_URL": "sqlite:///x.db",
            "GENAI_OWNER_IDS": "123, 456 789",
            "GENAI_TRAINING_DATA": "digits.npz",
            "GENAI_SWAP_MAX_ELBO_INCREASE": "0.5",
            "GENAI_SWAP_MIN_FIDELITY": "0.9",
        }
    )
    assert settings.data_dir == Path("/srv/bot") and settings.database_url == "sqlite:///x.db"
    assert settings.owner_ids == {123, 456, 789} and settings.training_data == Path("digits.npz")
    assert (settings.swap_max_elbo_increase, settings.swap_min_fidelity) == (0.5, 0.9)


def test_the_database_url_with_its_password_is_kept_out_of_repr():
    settings = Settings(database_url="postgresql://bot:hunter2@db/bot")
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GENAI_OWNER_IDS", "123,@admin", "GENAI_OWNER_IDS must be Discord user ids"),
        ("GENAI_SWAP_MIN_FIDELITY", "1.5", "GENAI_SWAP_MIN_FIDELITY must be between 0.0 and 1.0"),
        ("GENAI_SWAP_MAX_ELBO_INCREASE", "much", "GENAI_SWAP_MAX_ELBO_INCREASE must be a number"),
    ],
)
def test_bad_values_are_refused_by_name(name, value, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({name: value})
