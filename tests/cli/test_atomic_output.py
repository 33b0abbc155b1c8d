"""A write error (here: a file-size limit, which fails the write partway as a full disk does)
leaves no partial image behind: the CLI names the problem and the folder holds no stray file.

Real subprocesses under a real RLIMIT_FSIZE: the kernel refuses the bytes past the limit.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from PIL import Image

GENAI_BOT = Path(sys.executable).with_name("genai-bot")
LIMIT_BYTES = 2048  # far below a 25-digit grid or a morph GIF


def _limited_disk() -> None:
    # Ignoring SIGXFSZ turns the kernel's signal into an EFBIG error the program can handle.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT_BYTES, LIMIT_BYTES))


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENAI_", "DISCORD_", "OPENAI_"))}
    env["LOG_LEVEL"] = "ERROR"
    # The signing authority the CLI creates on first use lives in the data folder: outside the
    # folder whose contents the tests check.
    env["GENAI_DATA_DIR"] = str(cwd.with_name(cwd.name + "-data"))
    return subprocess.run(
        [str(GENAI_BOT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
        preexec_fn=_limited_disk, check=False,
    )  # fmt: skip


def test_a_failed_image_write_leaves_no_file_and_says_why(tmp_path):
    out = tmp_path / "grid.png"
    result = _run("digit", "7", "--count", "25", "--seed", "1", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"genai-bot: cannot write {out}: File too large"
    assert list(tmp_path.iterdir()) == []  # neither grid.png nor a temporary file


def test_the_demo_on_a_full_disk_leaves_no_partial_image(tmp_path):
    result = _run("demo", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "genai-bot: cannot write to out: File too large" in result.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    # Whatever was complete before the failure is whole; nothing is cut short or left as .tmp.
    assert all(not name.startswith(".") for name in written)
    for name in written:
        with Image.open(tmp_path / "out" / name) as image:
            image.load()  # a truncated PNG or GIF fails here
