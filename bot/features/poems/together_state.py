"""Where a poem written together keeps its lines, their authors, who may write and whose turn
it is: one row per message in the bot's database (bot.storage.component_state_schema, kind
"together"), so a press after a restart, or on another shard process, takes the poem up where
it was. The audit log's retention prunes the rows with its own, as it does a poem's.

A line's author is kept as the Discord user id its credit mentions (the message shows the same
mention); the logs and the audit log only ever get its hash. `/preferences forget` removes a
user from every poem kept here: their lines are then credited to "someone", and a poem they
started is no longer kept (its buttons say they expired).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from bot.features.poems.state import kept_state
from bot.storage.component_state_schema import ComponentState
from bot.storage.schema import utc_now
from genai_models.text import MAX_LINES

if TYPE_CHECKING:
    from bot.storage import Database

log = logging.getLogger(__name__)

KIND = "together"


# The author of a line whose writer asked to be forgotten (no Discord id is 0).
FORGOTTEN = 0


@dataclass(frozen=True)
class Line:
    """One line of the poem: its text, and who wrote it (a user id; None: the poet;
    FORGOTTEN: a person who asked to be forgotten)."""

    text: str
    author: int | None

    @property
    def by_model(self) -> bool:
        return self.author is None

    @property
    def by_someone_forgotten(self) -> bool:
        return self.author == FORGOTTEN


@dataclass(frozen=True)
class SharedPoem:
    """A poem written together, as its message shows it."""

    owner_id: int  # who started it: the only one who may write until they open it
    topic: str
    language: str  # the poem's
    reader: str  # the message's (its owner's language): one message, read by the whole channel
    model: str  # the poet's, for the AI label
    lines: tuple[Line, ...] = ()
    open: bool = False  # anyone in the channel may write the people's lines
    ended: bool = False  # its owner finished it before MAX_LINES
    writing_since: float | None = None  # the poet's turn since then (epoch seconds)

    @property
    def finished(self) -> bool:
        return self.ended or len(self.lines) >= MAX_LINES

    @property
    def writing(self) -> bool:
        """True while the poet writes its line (the people's line it answers is the last)."""
        return self.writing_since is not None

    def settled(self, *, turn_s: float, now: float | None = None) -> SharedPoem:
        """The poem as it stands: a poet's turn older than `turn_s` was cut off (the bot
        stopped mid-line), and the person's line it was answering is taken back, as when the
        poet fails; the people write again."""
        now = time.time() if now is None else now
        if self.writing_since is None or now - self.writing_since < turn_s:
            return self
        return replace(self, lines=self.lines[:-1], writing_since=None)

    def may_write(self, user_id: int) -> bool:
        return self.open or user_id == self.owner_id

    def with_line(self, line: Line, *, writing: bool) -> SharedPoem:
        return replace(self, lines=(*self.lines, line), writing_since=time.time() if writing else None)

    def without(self, user_id: int) -> SharedPoem:
        """The poem with `user_id`'s lines credited to no one in particular."""
        lines = tuple(Line(line.text, FORGOTTEN) if line.author == user_id else line for line in self.lines)
        return replace(self, lines=lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": self.owner_id, "topic": self.topic, "language": self.language,
            "reader": self.reader, "model": self.model, "open": self.open,
            "ended": self.ended, "writing_since": self.writing_since,
            "lines": [{"text": line.text, "author": line.author} for line in self.lines],
        }  # fmt: skip

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> SharedPoem:
        return cls(
            owner_id=int(state["owner"]), topic=state["topic"], language=state["language"],
            reader=state["reader"], model=state["model"], open=bool(state["open"]),
            ended=bool(state.get("ended")), writing_since=state.get("writing_since"),
            lines=tuple(Line(line["text"], line["author"]) for line in state["lines"]),
        )  # fmt: skip


class SharedPoems:
    """The rows of the poems written together, by message id. `database` None keeps none (and
    the bot then offers no Write with me: a poem it could not take up again is not offered)."""

    def __init__(self, database: Database | None, *, turn_s: float) -> None:
        self.database = database
        self.turn_s = turn_s  # the longest a poet's turn takes (see SharedPoem.settled)

    async def save(self, message_id: int, poem: SharedPoem) -> None:
        """Keep (or replace) what `message_id` shows. Unlike a poem's state, a failure here is
        the turn's failure: a line the database did not keep would be lost at the next press."""
        if self.database is None:
            return
        row = ComponentState(message_id=message_id, kind=KIND, state=poem.to_json(), created_at=utc_now())
        async with self.database.session.begin() as session:
            await session.merge(row)

    async def load(self, message_id: int) -> SharedPoem | None:
        """The poem written together in `message_id`, settled; None when there is none (another
        kind of message, or a row pruned or never kept)."""
        state = await kept_state(self.database, message_id, KIND)
        if state is None:
            return None
        return SharedPoem.from_json(state).settled(turn_s=self.turn_s)

    async def forget_user(self, user_id: int) -> None:
        """/preferences forget: drop the poems `user_id` started, and take their id off the
        lines they wrote in others' poems."""
        if self.database is None:
            return
        async with self.database.session.begin() as session:
            rows = await session.scalars(select(ComponentState).where(ComponentState.kind == KIND))
            for row in rows:
                poem = SharedPoem.from_json(row.state)
                if poem.owner_id == user_id:
                    await session.delete(row)
                elif any(line.author == user_id for line in poem.lines):
                    row.state = poem.without(user_id).to_json()

    async def forget(self, message_id: int) -> None:
        """Drop the row of a poem that never got past its first line (its message is gone)."""
        if self.database is None:
            return
        try:
            async with self.database.session.begin() as session:
                await session.execute(
                    delete(ComponentState).where(
                        ComponentState.message_id == message_id, ComponentState.kind == KIND
                    )
                )
        except Exception as exc:
            log.warning("could not remove the state of poem message %s: %s", message_id, exc)
