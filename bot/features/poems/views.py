"""The buttons under a finished poem: Another, a translation, another form, a new topic.

Every press writes its poem through `Poems.write_poem`, the path /poem itself takes, so the
moderation, the deadline and any limit on poems apply to the buttons as to the command. Each
press is answered at once (Discord allows 3 s): Another and Form grey the buttons out and
rewrite the poem in its message; Translate posts a new message that quotes the poem it
translates; New topic opens a form whose topic gets the command's own cleaning and limits.

The buttons outlive the process: their custom ids carry the owner and the action (and
Translate's target language); the poem they act on (topic, form, language, text) is kept by
message in the database (bot.features.poems.state), so a press works after a restart or on
another shard process, and one whose poem has been pruned is told its buttons have expired.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING

import discord

from bot.exceptions import StaleComponentError
from bot.features.poems.embeds import poem_embed
from bot.features.poems.together import together_button
from bot.interactions.embeds import CONTENT_LIMIT, clip, inert_links
from bot.interactions.errors import mark_started, report_error
from bot.interactions.i18n import Lang, interaction_language, text
from bot.interactions.views import OwnedItem, persistent_view
from genai_models.text import FORMS, MAX_TOPIC_CHARS

if TYPE_CHECKING:
    from bot.features.poems.cog import Poems
    from bot.features.poems.state import ShownPoem

log = logging.getLogger(__name__)

QUOTED_LINE_CHARS = 120  # the translated poem's first line, as the translation quotes it
# Long enough to write a topic; a form never submitted is then forgotten.
NEW_TOPIC_FORM_S = 900.0
_OWNER = r"(?P<owner>[0-9]{1,20})"
NAMES = {
    "another": "PoemView.another",
    "translate": "PoemView.translate",
    "topic": "PoemView.new_topic",
    "form": "PoemView.form",
}


def translation_language(language: str, reader: Lang) -> str:
    """Spanish and English swap; a poem in any other language goes into the reader's own."""
    return {"es": "en", "en": "es"}.get(language, reader)


def poems_cog(interaction: discord.Interaction) -> Poems:
    cog = interaction.client.get_cog("Poems")  # type: ignore[union-attr]
    if cog is None:  # this process runs without a text endpoint now
        raise StaleComponentError()
    return cog  # type: ignore[return-value]


def poem_controls(
    owner_id: int, language: str, lang: Lang, *, enabled: bool = True, together: bool = False
) -> discord.ui.View:
    """Another, a translation, New topic, and Write with me where poems written together can be
    kept (`together`; first row), and Rewrite as… (second row), in the reader's language, under
    a poem in `language` that `owner_id` asked for."""
    target = translation_language(language, lang)
    items: list[discord.ui.Item] = [
        PoemButton(
            "another",
            owner_id,
            button=discord.ui.Button(
                label=text("poem_another", lang), style=discord.ButtonStyle.primary, emoji="🔁"
            ),
        ),
        PoemButton(
            "translate",
            owner_id,
            target=target,
            button=discord.ui.Button(
                label=text("poem_translate", lang, language=text(f"language.{target}", lang)),
                style=discord.ButtonStyle.secondary,
                emoji="🌐",
            ),
        ),
        PoemButton(
            "topic",
            owner_id,
            button=discord.ui.Button(
                label=text("poem_new_topic", lang), style=discord.ButtonStyle.secondary, emoji="✏️"
            ),
        ),
        PoemFormSelect(
            owner_id,
            select=discord.ui.Select(
                placeholder=text("poem_form_placeholder", lang),
                row=1,
                options=[
                    discord.SelectOption(label=text(f"form.{form}", lang), value=form) for form in FORMS
                ][:25],
            ),
        ),
    ]
    if together:
        items.insert(3, together_button(owner_id, lang))
    for item in items:
        item.item.disabled = not enabled  # type: ignore[attr-defined]
    return persistent_view(*items)


class PoemPress(OwnedItem):
    """What every poem button and the form select share: the poem they act on."""

    not_yours = "not_your_poem_buttons"
    shown: ShownPoem

    _holds_rewrite = False  # this press is the one rewriting its message

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """One rewrite at a time per poem message: while one runs, another press hears so,
        privately. Greying the buttons out takes a round trip to Discord, and presses that
        arrive before it must not start a second poem into the same message."""
        message, cog = interaction.message, interaction.client.get_cog("Poems")  # type: ignore[union-attr]
        if (
            not (self.gated and self.update)
            or message is None
            or cog is None
            or interaction.user.id != self.owner_id
        ):
            return await super().interaction_check(interaction)
        if message.id in cog.rewriting:
            mark_started(interaction)
            await interaction.response.send_message(
                text("poem_already_rewriting", interaction_language(interaction)), ephemeral=True
            )
            return False
        cog.rewriting.add(message.id)  # before any await: the next press sees it
        self._holds_rewrite = True
        admitted = False
        try:
            admitted = await super().interaction_check(interaction)
        finally:
            if not admitted:
                self._release(interaction)
        return admitted

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await super().callback(interaction)
        finally:
            self._release(interaction)

    def _release(self, interaction: discord.Interaction) -> None:
        if self._holds_rewrite and interaction.message is not None:
            poems_cog(interaction).rewriting.discard(interaction.message.id)
            self._holds_rewrite = False

    async def prepare(self, interaction: discord.Interaction) -> None:
        message = interaction.message
        shown = await poems_cog(interaction).states.load(message.id) if message else None
        if shown is None:
            raise StaleComponentError()
        self.shown = shown

    async def rewrite(self, interaction: discord.Interaction, request) -> None:
        """A new poem in this poem's message. The buttons are greyed out while it is written
        (a second press cannot start a second poem into the same message); on failure they
        come back, under the poem the user had."""
        lang = interaction_language(interaction)
        language = self.shown.request.language
        together = poems_cog(interaction).states.keeps
        greyed = poem_controls(self.owner_id, language, lang, enabled=False, together=together)
        if interaction.response.is_done():  # it waited its turn in the fair-use queue
            await interaction.edit_original_response(view=greyed)
        else:
            await interaction.response.edit_message(view=greyed)
        buttons = poem_controls(self.owner_id, language, lang, together=together)
        try:
            poem = await poems_cog(interaction).write_poem(interaction, request)
        except Exception:
            with contextlib.suppress(discord.HTTPException):
                embeds = interaction.message.embeds if interaction.message else []
                await interaction.edit_original_response(embeds=embeds, view=buttons)
            raise
        if poem is None:  # the new poem failed the content check: its notice is shown
            with contextlib.suppress(discord.HTTPException):
                await interaction.edit_original_response(view=buttons)


class PoemButton(
    PoemPress,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"poem:(?P<action>another|translate|topic):" + _OWNER + r"(?::(?P<target>[A-Za-z-]{2,8}))?",
):
    """Another, Translate (into `target`) or New topic, under one poem."""

    def __init__(
        self, action: str, owner_id: int, *, button: discord.ui.Button, target: str | None = None
    ) -> None:
        button.custom_id = f"poem:{action}:{owner_id}" + (f":{target}" if target else "")
        super().__init__(button)
        self.action = action
        self.target = target
        self.owner_id = owner_id
        self.name = NAMES[action]
        # Presses that write a poem count as /poem for fair use (bot.interactions.admission);
        # New topic is counted when its form is submitted, since a form must be the press's
        # first answer.
        self.gated, self.update = {
            "another": ("poem", True),
            "translate": ("poem", False),
            "topic": (None, False),
        }[action]

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> PoemButton:
        return cls(match["action"], int(match["owner"]), button=item, target=match["target"])

    async def press(self, interaction: discord.Interaction) -> None:
        if self.action == "another":
            await self.rewrite(interaction, self.shown.request)
        elif self.action == "translate":
            await self._translate(interaction)
        else:
            lang = interaction_language(interaction)
            await interaction.response.send_modal(NewTopicModal(self.shown, lang))

    async def _translate(self, interaction: discord.Interaction) -> None:
        lang = interaction_language(interaction)
        target = self.target or translation_language(self.shown.request.language, lang)
        request = replace(self.shown.request, language=target, original=self.shown.text)
        quote = text(
            "poem_translation_of", lang,
            language=text(f"language.{target}", lang),
            link=interaction.message.jump_url if interaction.message else "",
            first_line=clip(inert_links(self.shown.text.splitlines()[0]), QUOTED_LINE_CHARS),
        )  # fmt: skip
        cog = poems_cog(interaction)
        # A new message at once, so the quote stands above the translation while it streams
        # (a press that waited its turn has that message already: the queue's "thinking…").
        placeholder = {
            "content": clip(quote, CONTENT_LIMIT),
            "embed": poem_embed("", topic=request.topic, lang=lang, model=cog.poet.model, streaming=True),
        }
        if interaction.response.is_done():
            await interaction.edit_original_response(**placeholder)
        else:
            await interaction.response.send_message(**placeholder)
        await cog.write_poem(interaction, request)


class PoemFormSelect(PoemPress, discord.ui.DynamicItem[discord.ui.Select], template=r"poem:form:" + _OWNER):
    """Rewrite as…: the same topic and language in another form, in the same message."""

    def __init__(self, owner_id: int, *, select: discord.ui.Select) -> None:
        select.custom_id = f"poem:form:{owner_id}"
        super().__init__(select)
        self.owner_id = owner_id
        self.name = NAMES["form"]
        self.gated, self.update = "poem", True

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str], /
    ) -> PoemFormSelect:
        return cls(int(match["owner"]), select=item)

    async def press(self, interaction: discord.Interaction) -> None:
        await self.rewrite(interaction, replace(self.shown.request, form=self.item.values[0]))


class NewTopicModal(discord.ui.Modal):
    """A text field for the topic of a new poem, in the same form and language."""

    def __init__(self, shown: ShownPoem, lang: Lang) -> None:
        super().__init__(title=text("poem_new_topic_title", lang), timeout=NEW_TOPIC_FORM_S)
        self.shown = shown
        self.topic = discord.ui.TextInput(
            min_length=1, max_length=MAX_TOPIC_CHARS,
            placeholder=text("poem_new_topic_placeholder", lang),
        )  # fmt: skip
        self.add_item(discord.ui.Label(text=text("poem_new_topic_label", lang), component=self.topic))

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        from bot.interactions.admission import admit  # it imports bot.errors, as bot.views does

        mark_started(interaction)
        return await admit(interaction, command="PoemView.new_topic", gated="poem")

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        # Built before answering, as /poem does: a blank or over-long topic is refused at once.
        request = replace(self.shown.request, topic=self.topic.value)
        if not interaction.response.is_done():  # deferred already if it waited its turn
            await interaction.response.defer(thinking=True)  # a new message: the old poem stays
        await poems_cog(interaction).write_poem(interaction, request)

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        await report_error(interaction, error)
