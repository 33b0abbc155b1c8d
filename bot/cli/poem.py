"""`genai-bot poem TOPIC [--lang es] [--form haiku]`: a poem streamed to stdout.

The same Poet the /poem command uses, with the same bounds (OPENAI_DEADLINE, the token and
character caps). Pieces are flushed as they arrive; a retry of a busy service and a poem cut
short are said on stderr. On failure the user-facing message goes to stderr and the exit status
is non-zero (1 for a service failure, 2 for unusable input or missing configuration).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import TextIO

from bot.cli import add_command
from bot.settings import TEXT_VARIABLES, Settings
from genai_models.catalogue import english
from genai_models.errors import GenAIError, InvalidInputError
from genai_models.text import (
    DEFAULT_FORM,
    DEFAULT_LANGUAGE,
    FORMS,
    LANGUAGE_NAMES,
    PoemRequest,
    Progress,
    Retrying,
)

NOT_CONFIGURED = (
    "no text endpoint configured: set OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL "
    "(for an OpenAI-compatible server such as Ollama or llama.cpp), in the environment or .env"
)


def register(subparsers) -> None:
    parser = add_command(
        subparsers,
        "poem",
        help="write a short poem about TOPIC, streamed to stdout",
        description="Write a short poem about TOPIC with the configured chat model.",
        environment=TEXT_VARIABLES,
    )
    parser.add_argument("topic", metavar="TOPIC", help="what the poem is about")
    parser.add_argument(
        "--lang",
        default=DEFAULT_LANGUAGE,
        choices=sorted(LANGUAGE_NAMES),
        metavar="LANG",
        help=f"es, en, or another language such as fr, de, pt-BR (default: {DEFAULT_LANGUAGE})",
    )
    parser.add_argument(
        "--form",
        default=DEFAULT_FORM,
        choices=FORMS,
        help=f"the poem's form (default: {DEFAULT_FORM})",
    )
    parser.set_defaults(handler=handler)


def handler(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.text_configured:
        print(f"genai-bot: {NOT_CONFIGURED}", file=sys.stderr)
        return 2
    try:
        request = PoemRequest(topic=args.topic, language=args.lang, form=args.form)
    except InvalidInputError as exc:
        print(f"genai-bot: {exc}", file=sys.stderr)
        return 2
    try:
        with failures_reported_here():
            asyncio.run(write_poem(settings, request, sys.stdout))
    except GenAIError as exc:
        # write_poem has already ended any text it printed with a newline.
        print(f"genai-bot: {failure_line(exc)}", file=sys.stderr)
        return 1
    return 0


def failure_line(exc: GenAIError) -> str:
    """What the command line says of a failed poem. Whoever runs genai-bot is the operator: the
    operator's line (the URL or the model, and the setting to check) where the failure has one,
    else the sentence a chat user would read."""
    return getattr(exc, "operator_hint", None) or str(exc)


@contextlib.contextmanager
def failures_reported_here() -> Iterator[None]:
    """Leaves out the poet's log line of a failed poem, which `failure_line` prints instead: one
    line per failure on the terminal."""
    from genai_models.text.poet import FAILURE_LOGGED

    def not_reported_here(record: logging.LogRecord) -> bool:
        return not getattr(record, FAILURE_LOGGED, False)

    logger = logging.getLogger("genai_models.text.poet")
    logger.addFilter(not_reported_here)
    try:
        yield
    finally:
        logger.removeFilter(not_reported_here)


async def write_poem(
    settings: Settings, request: PoemRequest, out: TextIO, notes: TextIO = sys.stderr
) -> None:
    """Stream the poem into `out`, flushing each piece, and end it with a newline.

    Retries and a poem cut short are told on `notes`: the printed text can't be taken back,
    so a cut poem's unfinished last line stays on screen, and the note says it was cut.
    """
    from genai_models.text import Poet  # imports openai: only when a poem is asked for

    def tell(progress: Progress) -> None:
        if isinstance(progress, Retrying):
            print(f"genai-bot: {english('poem_retrying')}", file=notes, flush=True)

    async with Poet(config=settings.poet) as poet, poet.write(request, on_progress=tell) as stream:
        try:
            async for piece in stream:
                out.write(piece)
                out.flush()
            poem = await stream.final()
        finally:
            if stream.text:
                out.write("\n")
                out.flush()
    if poem.cut:
        key = "poem_cut_deadline" if poem.finish_reason == "deadline" else "poem_cut_length"
        print(f"genai-bot: {english(key)}", file=notes, flush=True)
