"""Starting the job process: `python -m bot.training.job JOB_DIR`, its output in job.log.

It runs in a session of its own, so a Ctrl-C meant for the bot's terminal does not reach it:
the bot decides when it stops (see Supervisor.shutdown). `command` is the argv prefix; tests
and the bench pass the same default.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.training.spec import LOG_FILE

JOB_COMMAND = (sys.executable, "-m", "bot.training.job_process")


async def launch(job_dir: Path, command: tuple[str, ...] = JOB_COMMAND) -> asyncio.subprocess.Process:
    with open(job_dir / LOG_FILE, "ab") as log:  # noqa: ASYNC230  (a local file, opened once)
        return await asyncio.create_subprocess_exec(
            *command,
            str(job_dir),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
