"""TensorFlow's native log lines, kept off the user's terminal.

TensorFlow's C++ code writes straight to file descriptor 2: the absl notice and the oneDNN line
at import (before absl reads TF_CPP_MIN_LOG_LEVEL, so that setting cannot hide them), and
harmless graph-attribute errors when tf.data builds its pipelines. Python's sys.stderr cannot
intercept those, so `native_noise_filtered` points fd 2 at a pipe for its duration and a thread
copies every line to the real stderr except the ones that match NATIVE_NOISE. Everything else,
the product's own log lines included, still arrives, in order. Set `enabled=False` (the CLI
does at LOG_LEVEL=DEBUG) to see TensorFlow's lines as they are.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

NATIVE_NOISE = re.compile(
    rb"^(?:"
    rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    # absl's format, "I0000 00:00:1796214333.500721   19351 port.cc:153] ...": info and warnings
    # (what TF_CPP_MIN_LOG_LEVEL=2 means to hide), and the one error tf.data logs on every run.
    rb"|[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] .*"
    rb"|E\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] NodeDef mentions attribute use_unbounded_threadpool .*"
    # the second line of the CPU-feature notice
    rb"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\."
    rb")\r?$"
)
_JOIN_TIMEOUT_S = 5.0  # a stuck writer must not keep the process from exiting
# A line the forwarder never copies: it marks how far a `caught_up` call's caller had written.
_MARK = b"\x00genai-bot: stderr caught up"
_caught_up = threading.Event()
_filtering = threading.Event()


def is_noise(line: bytes) -> bool:
    return NATIVE_NOISE.match(line.rstrip(b"\n")) is not None


@contextlib.contextmanager
def native_noise_filtered(*, enabled: bool = True) -> Iterator[None]:
    """While inside, lines written to fd 2 that match NATIVE_NOISE are dropped."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    real_stderr = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    forwarder = threading.Thread(
        target=_forward, args=(read_end, real_stderr), name="stderr-filter", daemon=True
    )
    forwarder.start()
    _filtering.set()
    try:
        yield
    finally:
        _filtering.clear()
        sys.stderr.flush()
        os.dup2(real_stderr, 2)  # closes the pipe's last write end: the forwarder sees EOF
        forwarder.join(_JOIN_TIMEOUT_S)
        os.close(real_stderr)


def caught_up(timeout_s: float = 1.0) -> None:
    """Return once every line written to stderr so far has reached the terminal. stdout is
    written directly and stderr through the filter's thread, so without this a line said on
    stderr can show up after what the program printed on stdout next."""
    sys.stderr.flush()
    if not _filtering.is_set():
        return
    _caught_up.clear()
    with contextlib.suppress(OSError):
        os.write(2, _MARK + b"\n")
        _caught_up.wait(timeout_s)


def _forward(read_end: int, real_stderr: int) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        pending = b""
        while chunk := pipe.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_noise(line) and line != _MARK)
            if kept:
                _write_all(real_stderr, kept)
            if _MARK in lines:
                _caught_up.set()
        if pending and not is_noise(pending):
            _write_all(real_stderr, pending)


def _write_all(fd: int, data: bytes) -> None:
    with contextlib.suppress(OSError):  # a closed terminal must not kill the program
        while data:
            data = data[os.write(fd, data) :]
