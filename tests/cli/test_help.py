"""`genai-bot COMMAND --help`: every subcommand, argument and option says what it is, and each
subcommand lists the environment variables it reads."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from bot.cli import ENVIRONMENT_HEADING, main
from bot.settings import ENVIRONMENT

COMMANDS = (
    "run",
    "demo",
    "start",
    "sync",
    "poem",
    "train",
    "digit",
    "morph",
    "handwriting",
    "latent-map",
    "verify",
    "model-report",
)
_ENTRY = re.compile(r"^  (\S.*?)(?:\s{2,}(\S.*))?$")  # an argument's line: "  --out OUT   help"


def help_text(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return out.getvalue()


def arguments_without_help(text: str) -> list[str]:
    """Argument lines of the options/positional sections followed by no help text."""
    missing = []
    lines = text.splitlines()
    in_arguments = False
    for position, line in enumerate(lines):
        if line.endswith(":") and not line.startswith(" "):
            in_arguments = line in ("options:", "positional arguments:")
            continue
        entry = _ENTRY.match(line) if in_arguments else None
        if entry and not entry.group(2):
            following = lines[position + 1] if position + 1 < len(lines) else ""
            if not following.startswith("   "):  # argparse puts a long entry's help below it
                missing.append(entry.group(1))
    return missing


@pytest.mark.parametrize("command", COMMANDS)
def test_every_argument_of_every_command_has_a_help_line(command):
    text = help_text(command)
    assert arguments_without_help(text) == []
    description = text.split("\n\n")[1]
    assert len(description) > 20, text  # a sentence, not just the usage line


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_lists_the_environment_it_reads(command):
    text = help_text(command)
    _, _, table = text.partition(f"{ENVIRONMENT_HEADING}\n")
    listed = [line.split()[0] for line in table.splitlines() if line.startswith("  ")]
    assert {"LOG_LEVEL", "LOG_FORMAT"} <= set(listed)  # every command logs
    for name in listed:
        assert f"  {name}  " in table and name in ENVIRONMENT


def test_the_bot_commands_list_the_discord_settings_and_the_model_commands_the_model_folder():
    for command in ("run", "start", "sync"):
        assert "DISCORD_TOKEN" in help_text(command) and "DEV_GUILD_ID" in help_text(command)
    for command in ("digit", "morph", "handwriting", "latent-map", "demo"):
        assert "GENAI_MODEL_DIR" in help_text(command)
    assert "GENAI_TRAINING_DIR" in help_text("train")


def test_the_bot_lists_every_setting_and_what_draws_lists_how_it_signs():
    bot = help_text("run")
    assert [name for name in ENVIRONMENT if f"  {name}  " not in bot] == []
    for command in ("digit", "morph", "handwriting", "latent-map", "demo"):
        for name in ("GENAI_DATA_DIR", "GENAI_C2PA_CERT", "GENAI_C2PA_KEY", "GENAI_C2PA_ALG"):
            assert f"  {name}  " in help_text(command), (command, name)
    assert "OPENAI_BASE_URL" in help_text("poem")


def test_the_checker_notices_an_option_without_help():
    text = "usage: x\n\noptions:\n  -h, --help  show this\n  --seed SEED\n  --out OUT   where\n"
    assert arguments_without_help(text) == ["--seed SEED"]


def test_version_says_the_installed_version():
    from importlib import metadata

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert out.getvalue() == f"genai-bot {metadata.version('genai-bot')}\n"
