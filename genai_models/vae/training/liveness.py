"""Is the process that wrote a status file still running? Asked of the process, not the file.

A pid alone can be reused by an unrelated process after the trainer dies, so a status records
the pid with the process's start time (`process_token`); `is_running` needs both to match. On
Linux the token is the start time in /proc/PID/stat; elsewhere it is empty and the pid alone
is checked.
"""

from __future__ import annotations

import os
from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return []
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return raw[raw.rfind(")") + 2 :].split()


def process_token(pid: int) -> str:
    """What identifies this incarnation of `pid` ('' where the platform cannot tell)."""
    fields = _stat_fields(pid)
    return fields[19] if fields else ""  # field 22 of the line: start time in clock ticks


def is_running(pid: int | None, token: str | None = None) -> bool:
    """True while the process `pid` (started as `token`, when given) is alive and not a zombie."""
    if not pid:
        return False
    fields = _stat_fields(pid)
    if fields is None:
        return False
    if fields:
        if fields[0] in ("Z", "X"):  # exited, waiting to be reaped: it trains no more
            return False
        return not token or fields[19] == token
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
