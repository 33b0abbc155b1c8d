"""The Makefile's interpreter switch: a mistyped PYTHON leaves a working .venv alone."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_python_that_does_not_run_stops_make_before_the_venv_is_removed(tmp_path):
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\necho 3.11\n")  # a working .venv, as far as make can tell
    python.chmod(0o755)
    run = subprocess.run(
        ["make", "run", "PYTHON=python3.99-no-such"],
        cwd=tmp_path, capture_output=True, text=True, env=os.environ | {"MAKEFLAGS": ""},
    )  # fmt: skip
    assert run.returncode != 0
    assert "PYTHON=python3.99-no-such does not run here; .venv is left as it is (Python 3.11)" in run.stderr
    assert python.exists()
