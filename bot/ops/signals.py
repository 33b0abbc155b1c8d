"""Stop signals (SIGTERM, SIGINT) noted from the process's first moment.

The imports before the bot can react take a second or more; a SIGTERM meanwhile must be neither
lost (as PID 1 in a container an unhandled SIGTERM is ignored) nor end in a traceback from
whatever was being imported. `note_stops` records it; the bot's start-up then honours it, and
commands that do not handle stops themselves get the default behaviour back.
"""

from __future__ import annotations

import signal

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_noted: list[int] = []


def note_stops() -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda signum, frame: _noted.append(signum))


def stop_requested() -> bool:
    return bool(_noted)


def restore_defaults() -> None:
    """Default dispositions again (SIGINT raises KeyboardInterrupt); a stop noted till now is
    delivered as if it had arrived now."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, _interrupt)
    for signum in _noted:
        signal.raise_signal(signum)


def _interrupt(signum, frame) -> None:
    """Python's own Ctrl-C (KeyboardInterrupt), remembered: a native module being imported
    at that moment may turn it into an ImportError."""
    _noted.append(signum)
    signal.default_int_handler(signum, frame)
