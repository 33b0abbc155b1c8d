""".env.example documents every setting, and every value in it is one the settings accept."""

from __future__ import annotations

import re
from pathlib import Path

from dotenv import dotenv_values

from bot.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / ".env.example"


def test_every_variable_the_settings_read_is_documented():
    read = set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', (REPO / "bot/settings.py").read_text()))
    documented = set(dotenv_values(EXAMPLE))
    assert read, "no variable names found in bot/settings.py"
    assert read <= documented, sorted(read - documented)
    assert documented <= read, sorted(documented - read)  # nothing stale either


def test_the_example_copied_as_it_is_loads_without_errors():
    values = {k: v or "" for k, v in dotenv_values(EXAMPLE).items()}
    settings = load_settings(values)
    assert settings.discord_token == values["DISCORD_TOKEN"]
    assert settings.workers >= 1 and settings.training_dir == Path("runs/vae")
