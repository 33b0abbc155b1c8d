"""What the stand-in remembers, and how tests wait for it.

`RecordedRequest` is one REST call as received; `Reply` is one thing a bot did to answer an
interaction (callback, edit, follow-up, delete) together with the message as it stood afterwards;
`InjectedInteraction` is an interaction the test sent, knowing its id, token and replies.
`Feed` is an append-only list that coroutines can wait on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from tests.fakes.discord_messages import EPHEMERAL, LOADING, UploadedFile, iter_components
from tests.fakes.discord_world import FakeUser

if TYPE_CHECKING:
    from tests.fakes.discord_server import DiscordStandIn

T = TypeVar("T")
# Waits take a `timeout` with a default (ruff's ASYNC109 prefers asyncio.timeout at the call site)
# so that a bot that never answers fails its test quickly instead of hanging the suite.
DEFAULT_TIMEOUT = 5.0


class Feed(Generic[T]):
    """An append-only record whose items coroutines can await as they arrive."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[T] = []
        self._waiters: list[tuple[Callable[[T], bool], asyncio.Future[T]]] = []

    def append(self, item: T) -> None:
        self.items.append(item)
        for predicate, future in list(self._waiters):
            if future.done():
                continue
            try:
                if predicate(item):
                    future.set_result(item)
            except Exception as exc:  # a broken predicate should fail the test, not hang it
                future.set_exception(exc)

    async def wait_for(
        self,
        predicate: Callable[[T], bool],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        what: str = "item",
    ) -> T:
        """The first item, already recorded or still to come, for which predicate is true."""
        for item in self.items:
            if predicate(item):
                return item
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        waiter = (predicate, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no {what} within {timeout:.1f}s; {self.name} holds {len(self.items)} item(s):\n"
                + "\n".join(f"  {item!r}" for item in self.items[-10:])
            ) from None
        finally:
            self._waiters.remove(waiter)

    async def wait_for_count(
        self,
        predicate: Callable[[T], bool],
        count: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        what: str = "item",
    ) -> list[T]:
        """Wait until `count` matching items exist; returns the first `count` of them."""

        def matching() -> list[T]:
            return [item for item in self.items if predicate(item)]

        if len(matching()) < count:
            await self.wait_for(
                lambda item: predicate(item) and len(matching()) >= count,
                timeout=timeout,
                what=f"{count} x {what}",
            )
        return matching()[:count]

    async def wait_until_quiet(
        self, predicate: Callable[[T], bool], *, quiet: float, timeout: float = DEFAULT_TIMEOUT
    ) -> list[T]:
        """Wait until no matching item has arrived for `quiet` seconds; returns all matches."""

        def matching() -> list[T]:
            return [item for item in self.items if predicate(item)]

        deadline = time.monotonic() + timeout
        while True:
            seen = len(matching())
            try:
                await self.wait_for(
                    lambda item, seen=seen: predicate(item) and len(matching()) > seen, timeout=quiet
                )
            except TimeoutError:
                return matching()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} still receiving after {timeout:.1f}s")


@dataclass
class RecordedRequest:
    """One REST request as the stand-in received it (bodies parsed, multipart files kept)."""

    method: str
    path: str  # relative to /api/v10, e.g. "/users/@me"; attachment downloads keep their path
    query: dict[str, str]
    json: Any  # JSON body, or a multipart body's payload_json; None when there was none
    files: list[UploadedFile]
    at: float  # time.monotonic() on arrival
    authorized: bool | None  # None: no Authorization header; else whether the bot token matched
    status: int = 0  # what the stand-in answered
    response: Any = None

    def __repr__(self) -> str:
        files = f" +{len(self.files)} file(s)" if self.files else ""
        return f"<{self.method} {self.path} -> {self.status}{files}>"


@dataclass
class Reply:
    """One answer a bot gave to an interaction, with the message as it stood afterwards.

    kind: "callback" (POST /interactions/…/callback), "edit" (PATCH of @original or a follow-up),
    "followup" (POST /webhooks/{app}/{token}) or "delete".
    `payload` holds the message fields the bot sent (a callback's `data`); `message` the stored
    message after the operation (None for deletes and callbacks that create no message).
    """

    kind: str
    interaction_id: int
    at: float
    elapsed: float  # seconds since the interaction was sent to the bot
    request: RecordedRequest
    payload: dict[str, Any]
    files: list[UploadedFile]
    message: dict[str, Any] | None
    message_id: int | None
    callback_type: int | None = None
    target: str = ""  # "@original" or the message id for edits and deletes

    @property
    def content(self) -> str:
        return (self.message or {}).get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return (self.message or {}).get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return (self.message or {}).get("components") or []

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return (self.message or {}).get("attachments") or []

    @property
    def flags(self) -> int:
        message_flags = (self.message or {}).get("flags")
        return int(message_flags if message_flags is not None else self.payload.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True for a deferred 'Bot is thinking…' message not yet edited."""
        return bool(self.flags & LOADING)

    def buttons(self) -> list[dict[str, Any]]:
        """Every button (type 2) in the message, wherever it is nested."""
        return [c for _, c in iter_components(self.components) if c.get("type") == 2]

    def __repr__(self) -> str:
        extra = f" type={self.callback_type}" if self.callback_type is not None else ""
        return (
            f"<Reply {self.kind}{extra} +{self.elapsed:.3f}s msg={self.message_id} "
            f"content={self.content[:40]!r} files={[f.filename for f in self.files]}>"
        )


@dataclass(eq=False)
class InjectedInteraction:
    """An interaction the test sent through the gateway; knows its id, token and replies."""

    server: DiscordStandIn = field(repr=False)
    id: int
    token: str = field(repr=False)
    type: int
    user: FakeUser
    payload: dict[str, Any] = field(repr=False)
    sent_at: float = 0.0
    callback_type: int | None = None
    original_message_id: int | None = None
    message_ids: set[int] = field(default_factory=set)
    modal: dict[str, Any] | None = field(default=None, repr=False)  # what a type 9 callback opened

    @property
    def name(self) -> str | None:
        return self.payload.get("data", {}).get("name") or self.payload.get("data", {}).get("custom_id")

    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def replies(self) -> list[Reply]:
        """Callbacks, edits, follow-ups and deletes for this interaction, oldest first."""
        return self.server.messages_for(self)

    async def wait_for_callback(self, *, timeout: float = DEFAULT_TIMEOUT) -> Reply:
        return await self.server.wait_for_callback(self, timeout=timeout)

    async def wait_for_followup(
        self, predicate: Callable[[Reply], bool] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Reply:
        return await self.server.wait_for_followup(self, predicate, timeout=timeout)

    async def wait_for_edit(
        self, predicate: Callable[[Reply], bool] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Reply:
        return await self.server.wait_for_edit(self, predicate, timeout=timeout)

    async def wait_for_reply(
        self,
        predicate: Callable[[Reply], bool] | None = None,
        *,
        kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Reply:
        return await self.server.wait_for_reply(self, predicate, kind=kind, timeout=timeout)

    async def wait_until_quiet(self, *, quiet: float = 0.5, timeout: float = 10.0) -> list[Reply]:
        return await self.server.wait_until_quiet(self, quiet=quiet, timeout=timeout)
