"""Where a poem's buttons find what they act on: its topic, form, language and text, by message.

A custom id holds 100 characters; a topic holds 300 and a poem thousands. So the buttons carry
only their owner and action, and this keeps one row per poem message in the bot's database,
written when the poem is finished (bot.storage.component_state_schema). The audit log's
retention prunes the rows with its own (bot.ops.audit): a press on a poem older than that, or
where no database keeps them, is told its buttons have expired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.storage.component_state_schema import ComponentState
from bot.storage.schema import utc_now
from genai_models.text import PoemRequest

if TYPE_CHECKING:
    from bot.storage import Database

log = logging.getLogger(__name__)

KIND = "poem"


@dataclass(frozen=True)
class ShownPoem:
    """A finished poem as its message shows it: what wrote it, and its text."""

    request: PoemRequest  # topic, form and language (never a translation's original)
    text: str


class PoemStates:
    """The rows of the poems shown, by message id. `database` None keeps none."""

    def __init__(self, database: Database | None) -> None:
        self.database = database

    @property
    def keeps(self) -> bool:
        return self.database is not None

    async def save(self, message_id: int, poem: ShownPoem) -> None:
        """Remember (or replace: Another and Rewrite as… write into the same message) the poem
        `message_id` shows. A database that fails costs that poem its buttons, not its reply."""
        if self.database is None:
            return
        request = poem.request
        row = ComponentState(message_id=message_id, kind=KIND, state={
            "topic": request.topic, "form": request.form, "language": request.language,
            "text": poem.text,
        }, created_at=utc_now())  # fmt: skip
        try:
            async with self.database.session.begin() as session:
                await session.merge(row)
        except Exception as exc:
            log.warning("could not keep the state of poem message %s: %s", message_id, exc)

    async def load(self, message_id: int) -> ShownPoem | None:
        """The poem `message_id` shows; None when its row is gone (pruned) or was never kept."""
        state = await kept_state(self.database, message_id, KIND)
        if state is None:
            return None
        request = PoemRequest(topic=state["topic"], form=state["form"], language=state["language"])
        return ShownPoem(request, state["text"])


async def kept_state(database: Database | None, message_id: int, kind: str) -> dict | None:
    """The state kept for `message_id`'s buttons if it is of `kind`; None when there is none
    (no database, another kind of message, or a row pruned or never kept)."""
    if database is None:
        return None
    async with database.session() as session:
        row = await session.get(ComponentState, message_id)
    return row.state if row is not None and row.kind == kind else None
