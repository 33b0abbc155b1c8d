"""Content checks through `/v1/moderations`: the topic before a poem, the poem after it.

Checks fail closed: when moderation is on and the check itself fails, no poem is written (or
shown). Whether moderation is on is `PoetConfig.moderation_enabled`: "auto" means on only for
OpenAI's own API, because other OpenAI-compatible servers have no moderation endpoint.
"""

from __future__ import annotations

import logging
from typing import Literal

import openai

from genai_models.errors import ContentFlaggedError, ServiceError
from genai_models.text.failures import describe, to_genai_error

log = logging.getLogger(__name__)

MODERATION_MODEL = "omni-moderation-latest"

Stage = Literal["input", "output"]


class Moderator:
    """Raises ContentFlaggedError when the moderation endpoint flags a text."""

    def __init__(self, client: openai.AsyncOpenAI, *, secret: str | None = None) -> None:
        self._client = client
        self._secret = secret  # only to cut it out of logged server messages

    async def check(self, text: str, *, stage: Stage) -> None:
        """Return quietly if `text` is acceptable; raise a GenAIError otherwise."""
        try:
            response = await self._client.moderations.create(input=text, model=MODERATION_MODEL)
        except openai.NotFoundError as exc:
            log.warning(
                "moderation endpoint not found (%s); servers other than OpenAI usually have "
                "none: set OPENAI_MODERATION=off or auto",
                describe(exc, secret=self._secret),
            )
            raise ServiceError(code="moderation_unavailable") from None
        except (openai.OpenAIError, ValueError) as exc:
            log.warning("moderation of the %s failed: %s", stage, describe(exc, secret=self._secret))
            raise to_genai_error(exc, phase="request") from None

        flagged = [result for result in response.results if result.flagged]
        if not flagged:
            return
        categories = sorted(
            {
                name
                for result in flagged
                for name, is_set in (result.to_dict().get("categories") or {}).items()
                if is_set
            }
        )
        # The text itself is not logged: it may be exactly what should not be kept.
        log.info("moderation flagged the %s (categories: %s)", stage, ", ".join(categories))
        raise ContentFlaggedError(stage=stage, categories=tuple(categories))
