"""Views (buttons, selects) that belong to the user who ran the command."""

from __future__ import annotations

import logging
from typing import ClassVar

import discord

from bot.errors import mark_started, report_error
from bot.i18n import Lang, interaction_language, text

log = logging.getLogger(__name__)


class OwnedView(discord.ui.View):
    """Components only their owner may use; disabled in place when the view times out.

    Subclasses call `remember(interaction)` with each interaction whose original response is
    the message holding this view, so the timeout can edit that message through the
    interaction's webhook (which works even where the bot cannot post in the channel).
    Their `texts` name, per component attribute, the bot.i18n key of its label (a button's) or
    placeholder (a select's), shown in the owner's language; `not_yours` names the refusal
    someone else gets (it may mention {owner}).
    """

    texts: ClassVar[dict[str, str]] = {}
    not_yours: ClassVar[str] = "not_your_buttons"

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
        if interaction.user.id == self.owner.id:
            return True
        await interaction.response.send_message(
            text(self.not_yours, interaction_language(interaction), owner=self.owner.mention),
            ephemeral=True,
        )
        return False

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
