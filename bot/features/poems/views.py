"""The buttons under a finished poem: Another, a translation, another form, a new topic.

Every press writes its poem through `Poems.write_poem`, the path /poem itself takes, so the
moderation, the deadline and any limit on poems apply to the buttons as to the command. Each
press is answered at once (Discord allows 3 s): Another and Form grey the buttons out and
rewrite the poem in its message; Translate posts a new message that quotes the poem it
translates; New topic opens a form whose topic gets the command's own cleaning and limits.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

import discord

from bot.features.poems.embeds import cut_note, poem_embed
from bot.interactions.admission import admit
from bot.interactions.embeds import CONTENT_LIMIT, clip
from bot.interactions.errors import mark_started, report_error
from bot.interactions.i18n import Lang, interaction_language, text
from bot.interactions.views import OwnedView
from genai_models.text import FORMS, MAX_TOPIC_CHARS, PoemRequest

if TYPE_CHECKING:
    from bot.features.poems.cog import Poems
    from genai_models.text import Poem

log = logging.getLogger(__name__)

QUOTED_LINE_CHARS = 120  # the translated poem's first line, as the translation quotes it


def translation_language(language: str, reader: Lang) -> str:
    """Spanish and English swap; a poem in any other language goes into the reader's own."""
    return {"es": "en", "en": "es"}.get(language, reader)


class PoemView(OwnedView):
    """Owner-only buttons under one finished poem (`request` wrote `poem`)."""

    texts: ClassVar[dict[str, str]] = {
        "another": "poem_another",
        "new_topic": "poem_new_topic",
        "form": "poem_form_placeholder",
    }
    not_yours = "not_your_poem_buttons"
    # Presses that write a poem count as /poem for fair use (bot.interactions.admission); New topic is
    # counted when its form is submitted, since a form must be the press's first answer.
    work: ClassVar[dict[str, tuple[str, bool]]] = {
        "another": ("poem", True), "form": ("poem", True), "translate": ("poem", False),
    }

    def __init__(
        self, cog: Poems, request: PoemRequest, poem: Poem, *, owner: discord.abc.User, lang: Lang
    ) -> None:
        super().__init__(owner=owner, lang=lang, timeout=cog.bot.view_timeout_s)
        self.cog = cog
        # A translation's buttons write new poems in its language, not more translations.
        self.request = replace(request, original=None)
        self.poem = poem
        self.target = translation_language(request.language, lang)
        self.translate.label = text(
            "poem_translate", lang, language=text(f"language.{self.target}", lang)
        )
        self.form.options = [
            discord.SelectOption(label=text(f"form.{form}", lang), value=form)
            for form in FORMS
        ][:25]
        # Set from the press that starts a rewrite until it ends: greying the buttons out takes
        # a round trip to Discord, and presses that arrive before it must not start another.
        self._rewriting = False

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """One rewrite at a time: while one runs, another press hears so, privately."""
        _, rewrites = self.work.get(self._attribute_of(interaction) or "", (None, False))
        if not rewrites or interaction.user.id != self.owner.id:
            return await super().interaction_check(interaction)
        if self._rewriting:
            mark_started(interaction)
            await interaction.response.send_message(
                text("poem_already_rewriting", interaction_language(interaction)), ephemeral=True
            )
            return False
        self._rewriting = True  # before any await: the next press sees it
        admitted = False
        try:
            admitted = await super().interaction_check(interaction)
        finally:
            self._rewriting = admitted
        return admitted

    @discord.ui.button(label="Another", style=discord.ButtonStyle.primary, emoji="🔁")
    async def another(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._rewrite(interaction, self.request)

    @discord.ui.button(label="Translate", style=discord.ButtonStyle.secondary, emoji="🌐")
    async def translate(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        request = replace(self.request, language=self.target, original=self.poem.text)
        quote = text(
            "poem_translation_of", self.lang,
            language=text(f"language.{self.target}", self.lang),
            link=interaction.message.jump_url if interaction.message else "",
            first_line=clip(self.poem.text.splitlines()[0], QUOTED_LINE_CHARS),
        )  # fmt: skip
        # A new message at once, so the quote stands above the translation while it streams
        # (a press that waited its turn has that message already: the queue's "thinking…").
        placeholder = {
            "content": clip(quote, CONTENT_LIMIT),
            "embed": poem_embed(
                "", topic=request.topic, lang=self.lang, model=self.cog.poet.model, streaming=True
            ),
        }
        if interaction.response.is_done():
            await interaction.edit_original_response(**placeholder)
        else:
            await interaction.response.send_message(**placeholder)
        await self.cog.write_poem(interaction, request)

    @discord.ui.button(label="New topic…", style=discord.ButtonStyle.secondary, emoji="✏️")
    async def new_topic(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(NewTopicModal(self))

    @discord.ui.select(placeholder="Rewrite as…", row=1)
    async def form(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await self._rewrite(interaction, replace(self.request, form=select.values[0]))

    async def _rewrite(self, interaction: discord.Interaction, request: PoemRequest) -> None:
        """A new poem in this poem's message. The buttons are greyed out while it is written
        (a second press cannot start a second poem into the same message); on failure they
        come back, under the poem the user had."""
        self._set_enabled(False)
        if interaction.response.is_done():  # it waited its turn in the fair-use queue
            await interaction.edit_original_response(view=self)
        else:
            await interaction.response.edit_message(view=self)
        try:
            poem = await self.cog.write_poem(interaction, request)
        except Exception:
            self._rewriting = False
            self._set_enabled(True)
            with contextlib.suppress(discord.HTTPException):
                await interaction.edit_original_response(embed=self._shown(), view=self)
            raise
        if poem is None:  # the new poem failed the content check: its notice is shown
            self._rewriting = False
            self._set_enabled(True)
            with contextlib.suppress(discord.HTTPException):
                await interaction.edit_original_response(view=self)
            self.remember(interaction)
            return
        self.stop()  # the new poem came with its own buttons

    def _shown(self) -> discord.Embed:
        """The finished poem these buttons belong to, as its message showed it."""
        return poem_embed(
            self.poem.text, topic=self.request.topic, lang=self.lang, model=self.poem.model,
            note=cut_note(self.poem, self.lang),
        )  # fmt: skip

    def _set_enabled(self, enabled: bool) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = not enabled


class NewTopicModal(discord.ui.Modal):
    """A text field for the topic of a new poem, in the same form and language."""

    def __init__(self, view: PoemView) -> None:
        super().__init__(title=text("poem_new_topic_title", view.lang), timeout=view.timeout)
        self.view = view
        self.topic = discord.ui.TextInput(
            min_length=1, max_length=MAX_TOPIC_CHARS,
            placeholder=text("poem_new_topic_placeholder", view.lang),
        )  # fmt: skip
        self.add_item(discord.ui.Label(text=text("poem_new_topic_label", view.lang), component=self.topic))

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        mark_started(interaction)
        return await admit(interaction, command="PoemView.new_topic", gated="poem")

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        # Built before answering, as /poem does: a blank or over-long topic is refused at once.
        request = replace(self.view.request, topic=self.topic.value)
        if not interaction.response.is_done():  # deferred already if it waited its turn
            await interaction.response.defer(thinking=True)  # a new message: the old poem stays
        await self.view.cog.write_poem(interaction, request)

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        await report_error(interaction, error)
