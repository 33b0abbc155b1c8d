"""bench.serving_start's peak RSS is the measured command's own, whatever the bench's size."""

from __future__ import annotations

import os
import sys

import pytest

from bench.serving_start import run_measured

MIB = 2**20


def _own_peak_mib() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


def test_a_child_of_a_grown_process_reports_its_own_peak_not_the_parents():
    ballast = b"\x01" * (400 * MIB)  # every page touched: the bench after other benches
    assert _own_peak_mib() >= 400
    child = "import sys; data = b'\\x01' * (64 * 2**20); print(len(data) // 2**20)"

    wall, peak_mib, stdout = run_measured([sys.executable, "-c", child], dict(os.environ))

    assert stdout.strip() == "64"
    assert 64 <= peak_mib < 200  # the interpreter and its 64 MiB, not the 400 MiB above
    assert wall > 0
    del ballast


def test_a_failing_command_is_reported_with_its_error():
    with pytest.raises(RuntimeError, match="no model here"):
        run_measured([sys.executable, "-c", "raise SystemExit('no model here')"], dict(os.environ))
