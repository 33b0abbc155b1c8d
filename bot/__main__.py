"""Entry point for `genai-bot` and `python -m bot`."""

from __future__ import annotations

import sys

from bot.ops.signals import note_stops


def main() -> None:
    note_stops()  # before the slow imports below: see bot/ops/signals.py
    from bot.cli import main as cli_main

    sys.exit(cli_main())


if __name__ == "__main__":
    main()
