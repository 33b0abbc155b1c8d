"""docs/benchmarks.md, written from what the benches print: `make bench` regenerates it.

The page holds each bench's own output, verbatim, under the command that produced it, with the
date and the machine it ran on, so every figure in the docs can be traced to a run and re-made
with one command. Nothing is typed in by hand. Running some benches (`python -m bench NAME
--write-docs …`) replaces their sections and keeps the others, each with its own date.
"""

from __future__ import annotations

import io
import os
import platform
import re
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

HEADER = """\
# Benchmarks

Written by `make bench` (`python -m bench --write-docs docs/benchmarks.md`); `python -m bench NAME
--write-docs docs/benchmarks.md` re-runs one bench and replaces its section, and each section says
when and on which machine it ran. Each bench measures our path and a baseline in the same run —
usually the seed article's own code — and prints the ratio; timings are never asserted in tests,
since these machines are shared and noisy. Read the ratios; run one bench with
`python -m bench NAME`, and `python -m bench.NAME --help` for its thorough settings.
"""


@dataclass(frozen=True)
class Section:
    name: str
    command: str
    outcome: str
    seconds: float
    output: str
    ran: str = ""  # when and where: "2026-12-06 21:30 UTC, 2 cores (…), Python 3.11.7"

    def markdown(self) -> str:
        return (
            f"\n{MARKER.format(name=self.name)}\n## {self.name}\n\n`{self.command}` — {self.outcome}, "
            f"{self.seconds:.0f} s, {self.ran}\n\n```\n{self.output.strip()}\n```\n"
        )


# Where each section begins; what lies before the first one is the header, written anew.
MARKER = "<!-- bench: {name} -->"
_MARKER = re.compile(r"^<!-- bench: (?P<name>[\w.-]+) -->$", re.MULTILINE)


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


def written_sections(text: str) -> dict[str, str]:
    """The sections of a page this module wrote, by bench name, as their markdown."""
    starts = list(_MARKER.finditer(text))
    ends = [match.start() for match in starts[1:]] + [len(text)] * bool(starts)
    return {
        match["name"]: "\n" + text[match.start() : end].strip() + "\n"
        for match, end in zip(starts, ends, strict=True)
    }


def write_benchmarks_doc(path: Path, sections: list[Section], order: tuple[str, ...] = ()) -> None:
    """Write `sections` into the page at `path`, keeping the sections of other benches that an
    earlier run wrote there; sections follow `order`, then any others by name."""
    ran = f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, on {machine()}"
    kept = written_sections(path.read_text()) if path.exists() else {}
    kept.update({section.name: replace(section, ran=ran).markdown() for section in sections})
    rank = {name: index for index, name in enumerate(order)}
    names = sorted(kept, key=lambda name: (rank.get(name, len(rank)), name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(kept[name] for name in names))
