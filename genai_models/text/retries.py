"""How long a poem may take, and when a failed request is worth sending again.

The openai client's own retries are invisible and unbounded in total (three 30 s attempts on a
silent server; a 30 s Retry-After waited out in full), so the poet retries chat requests itself:
within one overall deadline, telling its caller before each wait, and answering at once when
the server asks for a longer wait than the deadline leaves.
"""

from __future__ import annotations

import asyncio
import random

import openai

from genai_models.text.failures import connection_failure, retry_after_seconds

# The openai client's own backoff: 0.5 s doubling up to 8 s, less up to 25 % jitter.
INITIAL_DELAY_S = 0.5
MAX_DELAY_S = 8.0
# Retry-After beyond this is a wait no chat user should sit through: answer with it instead.
MAX_RETRY_AFTER_S = 60.0
# A retry that would have less than this left after its wait cannot answer in time.
MIN_ATTEMPT_S = 0.5


class Deadline:
    """A moment on the event loop's clock, `seconds` from now."""

    def __init__(self, seconds: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.at = self.loop.time() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - self.loop.time())

    def allows(self, wait_s: float) -> bool:
        """Whether a retry after `wait_s` still has time to be answered."""
        return wait_s + MIN_ATTEMPT_S <= self.remaining()


def retry_delay(exc: BaseException, retries_done: int) -> float | None:
    """Seconds to wait before sending the request again, or None when retrying can't help.

    Retried like the openai client does: timeouts, connection errors (not a refused connection
    or an unknown host), 408, 409, 429 (not an exhausted quota) and 5xx, unless the server's
    `x-should-retry` says otherwise.
    """
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        # A refused connection or an unknown host is a setting to fix: a retry would only
        # make the user wait (and tell them the service is "busy") for the same answer.
        return None if connection_failure(exc) else _backoff(retries_done)
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    should_retry = headers.get("x-should-retry")
    if should_retry == "false" or exc.code == "insufficient_quota":
        return None
    status = exc.status_code
    if should_retry != "true" and status not in (408, 409, 429) and status < 500:
        return None
    retry_after = retry_after_seconds(headers)
    if retry_after is not None:
        return retry_after if retry_after <= MAX_RETRY_AFTER_S else None
    return _backoff(retries_done)


def _backoff(retries_done: int) -> float:
    delay = min(INITIAL_DELAY_S * 2.0 ** min(retries_done, 10), MAX_DELAY_S)
    return delay * (1 - 0.25 * random.random())  # jitter: retries from many users spread out
