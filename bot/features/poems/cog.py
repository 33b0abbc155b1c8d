"""/poem: a short poem from the chat model, streamed into the reply as it is written."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.exceptions import FeatureOffError
from bot.features.poems.embeds import cut_note, poem_embed, poem_status_embed
from bot.features.poems.menus import poem_about_message
from bot.features.poems.requests import poem_request
from bot.features.poems.state import PoemStates, ShownPoem
from bot.features.poems.together import TogetherButton, TogetherOwnerButton, on_line_submitted
from bot.features.poems.together_state import SharedPoems
from bot.features.poems.views import PoemButton, PoemFormSelect, poem_controls
from bot.interactions.admission import QUEUED_MS
from bot.interactions.embeds import notice_embed
from bot.interactions.i18n import Lang, command_text, error_text, interaction_language, text
from bot.interactions.paced_edits import PacedEditor
from bot.interactions.responses import uninterrupted
from bot.interactions.views import add_persistent_items
from bot.ops.logs import user_hash
from genai_models.errors import ContentFlaggedError
from genai_models.text import (
    FORMS,
    MAX_TOPIC_CHARS,
    PoemRequest,
    Progress,
    Retrying,
    Started,
)

if TYPE_CHECKING:
    from bot.client import GenAIBot
    from genai_models.text import Poem, Poet

log = logging.getLogger(__name__)

# Discord allows an interaction's message about 5 edits every 5 s; one a second leaves room
# and still reads as live text.
EDIT_INTERVAL_S = 1.0
# Past the poet's deadline and this, a poem written together still waiting for the poet's line
# was cut off (the bot stopped mid-line): it goes back to the people (together_state.settled).
TURN_GRACE_S = 30.0

# How each form and language is offered in the option's menu: labels are catalogue texts.
FORM_CHOICES = [app_commands.Choice(name=command_text(f"form.{f}"), value=f) for f in FORMS][:25]
LANGUAGE_CHOICES = [
    app_commands.Choice(name=command_text(f"language.{code}"), value=code) for code in ("es", "en")
]


class Poems(commands.Cog):
    """Poems written by a chat model."""

    def __init__(self, bot: GenAIBot, poet: Poet, *, edit_interval_s: float = EDIT_INTERVAL_S):
        self.bot = bot
        self.poet = poet
        self.edit_interval_s = edit_interval_s
        # What each poem's buttons act on, kept as long as the audit log keeps its generations.
        keep = bot.database if bot.settings.audit_retention_days > 0 else None
        self.states = PoemStates(keep)
        # Poems written together (bot.features.poems.together), kept as long; one lock for
        # their read-change-write turns in this process.
        self.shared = SharedPoems(keep, turn_s=poet.config.deadline_s + TURN_GRACE_S)
        bot.forgetters.append(self.shared.forget_user)
        self.together_lock = asyncio.Lock()
        # Messages whose poem is being rewritten in this process (bot.features.poems.views).
        self.rewriting: set[int] = set()

    @app_commands.command(name="poem", description=command_text("poem.description"))
    @app_commands.describe(
        topic=command_text("poem.topic"),
        form=command_text("poem.form"),
        language=command_text("poem.language"),
    )
    @app_commands.choices(form=FORM_CHOICES, language=LANGUAGE_CHOICES)
    async def poem(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, MAX_TOPIC_CHARS],
        form: str | None = None,
        language: str | None = None,
    ) -> None:
        # Built before deferring: a bad topic is refused at once, ephemerally.
        request = poem_request(interaction, topic, form=form, language=language)
        if not interaction.response.is_done():  # a poem that waited its turn is deferred already
            await uninterrupted(interaction.response.defer())
        await self.write_poem(interaction, request)

    async def write_poem(self, interaction: discord.Interaction, request: PoemRequest) -> Poem | None:
        """The one path every poem takes, /poem's and its buttons' (views.py), so what applies
        to poems (moderation, the deadline, the caps) applies to all; every one of them has
        waited its turn in the fair-use queue already (bot.interactions.admission).

        `interaction` is already answered; its original response shows, in turn: its place in
        the queue or a busy service being retried, the poem as it grows (at most one edit
        per `edit_interval_s`), then the finished poem with its buttons, and a note when it was
        cut short. Returns None when the finished poem failed the content check (its notice
        then stands in its place). Any other failure is raised as it came (a GenAIError).
        """
        lang = interaction_language(interaction)
        shown: list[discord.Message] = []  # the message the poem is written into, once edited

        async def edit(**fields: Any) -> None:
            shown[:] = [await interaction.edit_original_response(**fields)]

        editor = PacedEditor(edit, interval_s=self.edit_interval_s)
        status = _StatusShower(
            editor, request.topic, lang, self.poet.model, waited=bool(interaction.extras.get(QUEUED_MS))
        )
        try:
            async with self.poet.write(request, on_progress=status.progress) as stream:
                async for _piece in stream:
                    editor.show(
                        lambda: {
                            "embed": poem_embed(
                                # Only text that passed moderation, when it is on.
                                stream.checked_text,
                                topic=request.topic,
                                lang=lang,
                                model=self.poet.model,
                                streaming=True,
                            )
                        }
                    )
                poem = await stream.final()
        except ContentFlaggedError as exc:
            if exc.stage != "output":
                await editor.aclose()
                raise  # nothing was shown: the error handler answers ephemerally
            # The text already on screen failed the check: replace it, in place.
            refusal = error_text(exc, lang)
            await editor.finish(lambda: {"embed": notice_embed(refusal)})
            return None
        except BaseException:
            await editor.aclose()
            raise
        # A translation's buttons write new poems in its language, not more translations.
        state = ShownPoem(replace(request, original=None), poem.text)
        if self.states.keeps:  # before the buttons show: no press comes before what it acts on
            message_id = await _message_id(interaction, shown)
            if message_id is not None:
                await self.states.save(message_id, state)
        view = poem_controls(interaction.user.id, request.language, lang, together=self.states.keeps)
        await editor.finish(
            lambda: {
                "embed": poem_embed(
                    poem.text,
                    topic=request.topic,
                    lang=lang,
                    model=poem.model,
                    note=cut_note(poem, lang),
                ),
                "view": view,
            }
        )
        log.info(
            "poem for user %s: %s, %d chars, finish=%s, tokens=%s",
            user_hash(interaction.user.id),
            poem.model,
            len(poem.text),
            poem.finish_reason,
            poem.usage.total_tokens if poem.usage else "unknown",
        )
        return poem

    @commands.Cog.listener("on_interaction")
    async def line_submitted(self, interaction: discord.Interaction) -> None:
        await on_line_submitted(self, interaction)


async def _message_id(interaction: discord.Interaction, shown: list[discord.Message]) -> int | None:
    """The id of the message `interaction`'s poem is written into (None: Discord won't say)."""
    if shown:
        return shown[0].id
    if interaction.message is not None and interaction.response.type in _UPDATES:
        return interaction.message.id  # a button's poem, rewritten in the button's message
    try:  # a poem that came in one piece: not edited yet
        return (await interaction.original_response()).id
    except discord.HTTPException as exc:
        log.warning("could not read a poem's message id (its buttons will not work): %s", exc)
        return None


_UPDATES = frozenset(
    {discord.InteractionResponseType.message_update, discord.InteractionResponseType.deferred_message_update}
)


class _StatusShower:
    """Turns the poet's progress (its turn, retries) into the message's state. `waited`: the
    message shows a place in the queue, which the poem's turn replaces."""

    def __init__(self, editor: PacedEditor, topic: str, lang: Lang, model: str, *, waited: bool) -> None:
        self._editor = editor
        self._topic = topic
        self._lang = lang
        self._model = model
        self._waited = waited

    def progress(self, progress: Progress) -> None:
        if isinstance(progress, Started):
            if self._waited:  # replace the place in line; otherwise "thinking…" says it all
                self._show(text("poem_writing", self._lang))
        elif isinstance(progress, Retrying):
            self._show(text("poem_retrying", self._lang))

    def _show(self, status: str) -> None:
        self._editor.show(
            lambda: {
                "embed": poem_status_embed(status, topic=self._topic, lang=self._lang, model=self._model)
            }
        )


async def setup(bot: GenAIBot) -> None:
    if bot.poet is None:
        log.warning("no text endpoint configured (OPENAI_API_KEY / OPENAI_BASE_URL): no /poem")
        # Poems posted while poems were on keep their buttons: a press hears poems are off now.
        bot.components_off.append((re.compile(r"poem:.+"), FeatureOffError))
        return
    cog = Poems(bot, bot.poet)
    await bot.add_cog(cog)
    add_persistent_items(bot, PoemButton, PoemFormSelect, TogetherButton, TogetherOwnerButton)
    bot.tree.add_command(poem_about_message(cog))
