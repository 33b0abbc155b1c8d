"""PoemStream: the text of one poem as it arrives, then the finished Poem.

It knows nothing of HTTP or OpenAI: it drives an async generator that yields text pieces and,
last, the `Poem`; a moderated poem's generator also yields `Checked` marks, how much of the
text has passed the output check (`checked_text`). Whatever that generator raises (always a
GenAIError from the poet) comes out of the iteration, and again from every later `final()` call.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from types import TracebackType

from genai_models.text.prefix_checks import Checked
from genai_models.text.results import Poem


class PoemStream:
    """An async iterator of text pieces (`str`), then `await stream.final()` for the Poem.

    Nothing is sent until the first piece is awaited. Break out early and the request is
    abandoned: `aclose()` (or `async with`) releases the connection at once.
    """

    def __init__(
        self, source: AsyncGenerator[str | Checked | Poem, None], *, moderated: bool = False
    ) -> None:
        self._source = source
        self._moderated = moderated
        self._checked = 0
        self._pieces: list[str] = []
        self._poem: Poem | None = None
        self._error: BaseException | None = None
        self._closed = False

    def __aiter__(self) -> PoemStream:
        return self

    async def __anext__(self) -> str:
        if self._error is not None:
            raise self._error
        if self._poem is not None or self._closed:
            raise StopAsyncIteration
        try:
            item = await self._source.__anext__()
            while isinstance(item, Checked):
                self._checked = item.chars
                item = await self._source.__anext__()
        except StopAsyncIteration:
            # The source always ends with a Poem; ending without one is a bug in the poet.
            self._error = RuntimeError("poem source ended without a poem")
            raise self._error from None
        except Exception as exc:
            self._error = exc
            raise
        except BaseException:  # cancelled: the source generator is finished either way
            self._closed = True
            raise
        if isinstance(item, Poem):
            self._poem = item
            await self._source.aclose()
            raise StopAsyncIteration
        self._pieces.append(item)
        return item

    @property
    def text(self) -> str:
        """The text received so far (all of it once the stream has ended)."""
        return "".join(self._pieces)

    @property
    def checked_text(self) -> str:
        """The part of `text` that may be shown: all of it for a poem without moderation; for a
        moderated one, the longest prefix that passed the output check (all of it once the
        finished poem passed)."""
        if not self._moderated or self._poem is not None:
            return self.text
        return self.text[: self._checked]

    @property
    def done(self) -> bool:
        """True once the poem is finished, failed or abandoned."""
        return self._poem is not None or self._error is not None or self._closed

    async def final(self) -> Poem:
        """Read whatever is left and return the finished poem (or raise the stream's error)."""
        async for _ in self:
            pass
        if self._error is not None:
            raise self._error
        if self._poem is None:
            raise RuntimeError("the poem stream was closed before the poem was finished")
        return self._poem

    async def aclose(self) -> None:
        """Abandon the poem if it is still arriving; safe to call at any time."""
        self._closed = True
        await self._source.aclose()

    async def __aenter__(self) -> PoemStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
