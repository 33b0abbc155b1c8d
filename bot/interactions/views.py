"""Views (buttons, selects) that belong to the user who ran the command."""

from __future__ import annotations

import logging
from typing import ClassVar

import discord

from bot.exceptions import OptionValueError
from bot.interactions.admission import admit
from bot.interactions.errors import mark_started, report_error
from bot.interactions.i18n import Lang, interaction_language, text

log = logging.getLogger(__name__)


class OwnedView(discord.ui.View):
    """Components only their owner may use; disabled in place when the view times out.

    Subclasses call `remember(interaction)` with each interaction whose original response is
    the message holding this view, so the timeout can edit that message through the
    interaction's webhook (which works even where the bot cannot post in the channel).
    Their `texts` name, per component attribute, the bot.interactions.i18n key of its label (a button's) or
    placeholder (a select's), shown in the owner's language; `not_yours` names the refusal
    someone else gets (it may mention {owner}).
    """

    texts: ClassVar[dict[str, str]] = {}
    not_yours: ClassVar[str] = "not_your_buttons"
    # Per component attribute, the fair-use command its work counts as, and whether its result
    # replaces the message holding it (True) or is a new message (False). Others are not limited.
    work: ClassVar[dict[str, tuple[str, bool]]] = {}

    def __init__(self, *, owner: discord.abc.User, lang: Lang, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.owner = owner
        self.lang = lang
        self._holder: discord.Interaction | None = None
        for attribute, key in self.texts.items():
            item = getattr(self, attribute)
            if isinstance(item, discord.ui.Select):
                item.placeholder = text(key, lang)
            else:
                item.label = text(key, lang)

    def remember(self, interaction: discord.Interaction) -> None:
        self._holder = interaction

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        mark_started(interaction)
        attribute = self._attribute_of(interaction)
        name = f"{type(self).__name__}.{attribute or '?'}"
        if interaction.user.id != self.owner.id:
            await interaction.response.send_message(
                text(self.not_yours, interaction_language(interaction), owner=self.owner.mention),
                ephemeral=True,
            )
            return False
        if not self._values_offered(interaction, attribute):
            await report_error(interaction, OptionValueError(code="option_choice", option=attribute))
            return False
        gated, update = self.work.get(attribute or "", (None, False))
        return await admit(interaction, command=name, gated=gated, update=update)

    def _attribute_of(self, interaction: discord.Interaction) -> str | None:
        """The name of the component the user used (`again`, `target`), from its custom id."""
        custom_id = (interaction.data or {}).get("custom_id")
        for attribute in (*self.texts, *self.work):
            item = getattr(self, attribute, None)
            if getattr(item, "custom_id", None) == custom_id:
                return attribute
        return None

    def _values_offered(self, interaction: discord.Interaction, attribute: str | None) -> bool:
        """A select's picked values must be among its options (a forged press may send others)."""
        item = getattr(self, attribute, None) if attribute else None
        if not isinstance(item, discord.ui.Select):
            return True
        offered = {option.value for option in item.options}
        values = (interaction.data or {}).get("values", [])
        return bool(values) and all(value in offered for value in values)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self._holder is None:
            return
        try:
            await self._holder.edit_original_response(view=self)
        except discord.HTTPException as exc:  # message deleted, or the token expired
            log.debug("could not disable an expired view: %s", exc)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item, /
    ) -> None:
        await report_error(interaction, error)
