"""The digit model serving right now: one holder for the whole process.

Loaded at start-up (GenAIBot.setup_hook), swapped by training (the supervisor after a job whose
model passes the swap rule, a rollback, the follower of other processes' swaps) and read by each
digit command when its work starts, so a request in flight finishes on the model it began with.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genai_models.vae.serving.sampler import DigitSampler

log = logging.getLogger(__name__)


class ServingModel:
    def __init__(self, sampler: DigitSampler | None = None) -> None:
        self.sampler = sampler

    def swap(self, sampler: DigitSampler) -> DigitSampler | None:
        """Serve `sampler` from the next request on; returns the model it replaced."""
        old, self.sampler = self.sampler, sampler
        log.info("digit model %s now serving (was %s)", sampler.version, old and old.version)
        return old
