"""Every failure becomes one short, ephemeral reply in the user's language, and one log line.

`GenAIError`s carry user-safe messages and are expected (a bad image, a busy text service):
they are logged at INFO. Anything else is a bug: logged with its traceback and context, while
the user gets one polite line. Users never see a traceback.
"""

from __future__ import annotations

import logging
import time

import aiohttp
import discord
from discord import app_commands

from bot.interactions.embeds import CONTENT_LIMIT, clip
from bot.interactions.i18n import Lang, error_text, interaction_language, text
from bot.interactions.responses import deliver
from bot.ops.logs import user_hash
from genai_models.errors import GenAIError, ServiceError

log = logging.getLogger(__name__)

STARTED_AT = "genai_started_at"  # key in Interaction.extras: perf_counter() when it arrived
OUTCOME = "genai_outcome"  # Interaction.extras: the error code it ended with ("ok" when unset)
SERVICE_ERROR = "genai_service_error"  # Interaction.extras: True when the text service failed

# Response types after which the interaction's original response is a message the command
# created (a "thinking…" placeholder or a partial result): an error replaces it. After a
# component's deferred update the original response is the message holding the buttons,
# which must stay.
CREATED_MESSAGE = frozenset(
    {
        discord.InteractionResponseType.channel_message,
        discord.InteractionResponseType.deferred_channel_message,
    }
)


def mark_started(interaction: discord.Interaction) -> None:
    interaction.extras.setdefault(STARTED_AT, time.perf_counter())


def elapsed_ms(interaction: discord.Interaction) -> float | None:
    started = interaction.extras.get(STARTED_AT)
    return None if started is None else (time.perf_counter() - started) * 1000


# Commands registered only when their service is configured, and what to say when a user
# reaches one anyway (Discord clients cache the command list; an old global sync lingers).
UNCONFIGURED_FEATURES = {"poem": "poems_not_configured"}


def describe(interaction: discord.Interaction) -> str:
    """'/digit' or 'component digit:again', for logs. Never includes option values."""
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data = interaction.data or {}
    if "custom_id" in data:
        return f"component {component_kind(data['custom_id'])}"
    return f"/{data.get('name', '?')}"


def component_kind(custom_id: str) -> str:
    """'digit:again' for 'digit:again:<owner id>:…': custom ids carry their owner's raw id,
    which never goes into a log."""
    kept = []
    for part in custom_id.split(":"):
        if part.isdigit():
            break
        kept.append(part)
    return ":".join(kept) or "?"


# Problems only the bot's operator can mend: in a reply, a sentence that says so in the reader's
# language; their English diagnostic (paths, a signing library's message) goes to the log only.
OPERATOR_PROBLEMS = {"signing_failed": "signing_failed_reply", "bad_model_file": "bad_model_file_reply"}


def user_message(error: BaseException, lang: Lang) -> str:
    """What the user reads for `error` (unwrapped from discord.py's wrappers)."""
    if isinstance(error, GenAIError):
        if error.code in OPERATOR_PROBLEMS:
            return text(OPERATOR_PROBLEMS[error.code], lang)
        return error_text(error, lang)
    if isinstance(error, app_commands.CommandNotFound):
        key = UNCONFIGURED_FEATURES.get(error.name, "command_unavailable")
        return text(key, lang, command=error.name)
    if isinstance(error, app_commands.CheckFailure):
        return text("check_failed", lang)
    return text("unexpected", lang)


def unwrap(error: BaseException) -> BaseException:
    """The exception a command raised, not discord.py's CommandInvokeError around it."""
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        if error.__cause__ is None:
            break
        error = error.__cause__
    return error


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Log `error` with context and answer the user ephemerally, whatever state the reply is in."""
    error = unwrap(error)
    interaction.extras[OUTCOME] = getattr(error, "code", None) or (
        "not_found" if isinstance(error, app_commands.CommandNotFound) else "error"
    )
    interaction.extras[SERVICE_ERROR] = isinstance(error, ServiceError)
    context = {
        "command": describe(interaction),
        "user": user_hash(interaction.user.id),
        "guild_id": interaction.guild_id,
        "elapsed_ms": elapsed_ms(interaction),
    }
    if isinstance(error, GenAIError | app_commands.CheckFailure | app_commands.CommandNotFound):
        log.info(
            "%s for user %s failed: %s (%s)",
            context["command"],
            context["user"],
            getattr(error, "code", type(error).__name__),
            error,
        )
    else:
        log.error("unexpected error in %s (context: %s)", context["command"], context, exc_info=error)
    await send_ephemeral(interaction, user_message(error, interaction_language(interaction)))


async def send_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Reply only the user sees; if a public placeholder or partial reply exists, remove it."""
    message = clip(message, CONTENT_LIMIT)
    try:
        # The whole exchange is the final answer: a shutdown lets it finish (bot.interactions.responses).
        await deliver(interaction, _send_privately(interaction, message))
    # The interaction expired, Discord is failing, or the bot is closing its connection.
    except (discord.HTTPException, aiohttp.ClientError) as exc:
        log.warning("could not tell user %s about an error: %s", user_hash(interaction.user.id), exc)


async def _send_privately(interaction: discord.Interaction, message: str) -> None:
    if not interaction.response.is_done():
        await interaction.response.send_message(message, ephemeral=True)
        return
    if interaction.response.type in CREATED_MESSAGE:
        # A follow-up can't make a public "thinking…" message ephemeral; removing it lets
        # the follow-up be a fresh message that only the user sees.
        try:
            await interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.warning("could not remove the original response: %s", exc)
    await interaction.followup.send(message, ephemeral=True)
