"""The digit model serving right now: one holder for the whole process.

Loaded at start-up (GenAIBot.setup_hook), swapped by training (the supervisor after a job whose
model passes the swap rule, a rollback, the follower of other processes' swaps) and read by each
digit command when its work starts, so a request in flight finishes on the model it began with.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genai_models.vae.serving.sampler import DigitSampler

log = logging.getLogger(__name__)


class ServingModel:
    def __init__(self, sampler: DigitSampler | None = None) -> None:
        self.sampler = sampler

    def serve(self, sampler: DigitSampler) -> None:
        """Serve `sampler` from now on (at start-up), and get it ready for uploads meanwhile."""
        self.sampler = sampler
        _prepare_in_background(sampler)

    def swap(self, sampler: DigitSampler) -> DigitSampler | None:
        """Serve `sampler` from the next request on; returns the model it replaced."""
        old, self.sampler = self.sampler, sampler
        log.info("digit model %s now serving (was %s)", sampler.version, old and old.version)
        _prepare_in_background(sampler)
        return old


def _prepare_in_background(sampler: DigitSampler) -> None:
    """The first /handwriting after a load would otherwise decode every legible pool point
    while its user waits: a thread does it now (an upload meanwhile waits for it). Not a
    daemon: the interpreter's exit would tear ONNX Runtime down under a daemon thread still in
    a session and abort the process; this one stops at its next chunk once the main thread has
    ended, and the exit waits for that."""

    def prepare() -> None:
        try:
            sampler.prepare_uploads()
        except Exception as exc:  # the first upload tries again, and reports its own failure
            if not threading.main_thread().is_alive():
                return  # the process is exiting
            log.warning("could not prepare digit model %s for uploads: %s", sampler.version, exc)

    threading.Thread(target=prepare, name="genai-uploads-ready", daemon=False).start()
