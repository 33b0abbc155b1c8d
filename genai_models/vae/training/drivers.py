"""What every training driver does around the trainer: `genai-bot train` (bot/cli/vae.py) and
the bot's job process (bot/training/job_process.py) load and split the digits with the same log
line, and stop on SIGTERM (`docker stop`, the bot's /train cancel) exactly as on Ctrl-C: after
the last finished epoch's checkpoint, resumable."""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterator
from pathlib import Path

from genai_models.vae.training.data import Split, load_digits, require_enough_of_each_digit, split

log = logging.getLogger(__name__)


def load_split(data: Path | None) -> Split:
    """The digits of `data` (None: MNIST), split into training and validation sets, logged.
    NumPy only: a missing or bad file fails before TensorFlow loads."""
    digits = load_digits(data)
    require_enough_of_each_digit(digits)
    data_split = split(digits)
    log.info(
        "training on %d digits, validating on %d (%s)",
        len(data_split.train),
        len(data_split.validation),
        digits.source,
    )
    return data_split


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt, as Ctrl-C's SIGINT does."""
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt
