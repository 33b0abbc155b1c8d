""".env.example documents every setting, every value in it is one the settings accept, and a
copy of it left as it is configures nothing: no placeholder token or guild id reaches Discord."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.settings import ENVIRONMENT, PLACEHOLDERS, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / ".env.example"


def test_every_variable_the_settings_read_is_documented():
    read = set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', (REPO / "bot/settings.py").read_text()))
    documented = set(dotenv_values(EXAMPLE))
    assert read, "no variable names found in bot/settings.py"
    assert read <= documented, sorted(read - documented)
    assert documented <= read, sorted(documented - read)  # nothing stale either
    assert set(ENVIRONMENT) == documented  # and each has its --help line


def test_the_example_copied_as_it_is_loads_without_errors_and_configures_no_secrets():
    values = {k: v or "" for k, v in dotenv_values(EXAMPLE).items()}
    settings = load_settings(values)
    assert settings.discord_token is None  # so `make run` runs the demo, not a doomed login
    assert settings.dev_guild_id is None
    assert settings.poet.api_key is None and not settings.text_configured
    assert settings.workers >= 1 and settings.training_dir == Path("runs/vae")


@pytest.mark.parametrize("name", sorted(PLACEHOLDERS))
def test_an_old_placeholder_value_is_refused_by_name(name):
    with pytest.raises(SettingsError, match=f"^{name} is still the example value"):
        load_settings({name: PLACEHOLDERS[name]})


def test_dotenv_is_read_from_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("GENAI_WORKERS=3\nOPENAI_MODEL=from-the-working-dir\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "environ", dict(os.environ))  # what .env adds goes with the test
    monkeypatch.setenv("OPENAI_MODEL", "from-the-environment")
    settings = load_settings()
    assert settings.workers == 3
    assert settings.poet.model == "from-the-environment"  # real variables win over .env
