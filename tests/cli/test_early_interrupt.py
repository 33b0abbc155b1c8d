"""Ctrl-C in the first moments of a command, while its imports still run: the command stops
with one line and exit 130, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# What `genai-bot` does first (bot/__main__.py), with a Ctrl-C arriving right after it.
CTRL_C_DURING_THE_IMPORTS = """
import signal, sys
from bot.ops.signals import note_stops
note_stops()
signal.raise_signal(signal.SIGINT)
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_ctrl_c_during_the_imports_stops_the_command_in_one_line(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("GENAI_")}
    run = subprocess.run(
        [sys.executable, "-c", CTRL_C_DURING_THE_IMPORTS, "digit", "3", "--out", "d.png"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 130
    assert run.stderr.strip().splitlines() == ["genai-bot: interrupted"], run.stderr
    assert not (tmp_path / "d.png").exists()
