""".env.example documents every setting, and copied as it is it starts the defaults."""

from __future__ import annotations

import re
from pathlib import Path

from dotenv import dotenv_values

from bot.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / ".env.example"


def test_every_variable_the_settings_read_is_documented():
    read = set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', (REPO / "bot/settings.py").read_text()))
    documented = set(dotenv_values(EXAMPLE))
    assert read, "no variable names found in bot/settings.py"
    assert read <= documented, sorted(read - documented)
    assert documented <= read, sorted(documented - read)  # nothing stale either


def test_the_example_as_it_is_gives_the_defaults():
    values = {k: v or "" for k, v in dotenv_values(EXAMPLE).items()}
    assert load_settings(values) == Settings()
