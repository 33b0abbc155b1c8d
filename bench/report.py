"""docs/benchmarks.md, written from what the benches print: `make bench` regenerates it.

The page holds each bench's own output, verbatim, under the command that produced it, with the
date and the machine it ran on, so every figure in the docs can be traced to a run and re-made
with one command. Nothing is typed in by hand.
"""

from __future__ import annotations

import io
import os
import platform
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HEADER = """\
# Benchmarks

Written by `make bench` (`python -m bench --write-docs docs/benchmarks.md`) on {date}, on {machine}.
Each bench measures our path and a baseline in the same run — usually the seed article's own
code — and prints the ratio; timings are never asserted in tests, since these machines are shared
and noisy. Read the ratios; run one bench with `python -m bench NAME`, and
`python -m bench.NAME --help` for its thorough settings.
"""


@dataclass(frozen=True)
class Section:
    name: str
    command: str
    outcome: str
    seconds: float
    output: str


class Tee(io.TextIOBase):
    """Writes to the real stream and keeps a copy, so a bench's output is both seen and saved."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.stream.write(text)
        return self.copy.write(text)

    def flush(self) -> None:
        self.stream.flush()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"


def write_benchmarks_doc(path: Path, sections: list[Section]) -> None:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [HEADER.format(date=date, machine=machine())]
    for section in sections:
        parts.append(
            f"\n## {section.name}\n\n`{section.command}` — {section.outcome}, "
            f"{section.seconds:.0f} s\n\n```\n{section.output.strip()}\n```\n"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts))
