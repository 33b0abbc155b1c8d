"""Buttons and selects that belong to the user who ran the command, and outlive the process.

Every component the bot sends is a discord.py `DynamicItem`: what a press needs (its owner,
the digit and seed, a poem's message…) is written into the component's `custom_id` and read
back from it, so a press is answered after a restart, a crash, a hot swap or by another shard
process, with no view kept in memory and nothing greyed out after a while. Each feature
registers its item classes once (`add_persistent_items`); a press on a component this bot no
longer knows (from a release before this one) or whose stored state has been pruned gets one
clear, private sentence in the user's language (`answer_stale`), never silence.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.exceptions import OptionValueError, StaleComponentError
from bot.interactions.errors import component_kind, mark_started, report_error
from bot.interactions.i18n import interaction_language, text

if TYPE_CHECKING:
    from bot.client import GenAIBot

log = logging.getLogger(__name__)

# A modal submit that nothing has answered this long after it arrived was opened by a process
# that is gone (a restart between opening the form and sending it): Discord's 3 s window
# still leaves room to say so.
UNCLAIMED_MODAL_S = 2.2


async def admit_press(
    interaction: discord.Interaction,
    *,
    owner_id: int,
    name: str,
    not_yours: str,
    gated: str | None = None,
    update: bool = False,
    offered: Collection[str] | None = None,
    prepare: Callable[[], Awaitable[None]] | None = None,
) -> bool:
    """True when the press may run; otherwise its presser has been answered already.

    Only `owner_id` may press (anyone else gets `not_yours`, which may mention {owner}); a
    select's picked values must be among `offered` (a forged press may send others); then the
    interaction passes bot.interactions.admission as a command does: `name` names it in
    metrics and logs, `gated` is the fair-use command its work counts as (None: not limited),
    `update` says its result replaces the message holding the component. `prepare`, run
    after the owner check and before admission, may raise (e.g. StaleComponentError: its state
    is gone) to refuse the press without spending the user's fair use on it.
    """
    from bot.interactions.admission import admit  # admission imports this layer's errors too

    mark_started(interaction)
    if interaction.user.id != owner_id:
        await interaction.response.send_message(
            text(not_yours, interaction_language(interaction), owner=f"<@{owner_id}>"),
            ephemeral=True,
        )
        return False
    if prepare is not None:
        try:
            await prepare()
        except Exception as exc:
            await report_error(interaction, exc)
            return False
    if offered is not None:
        values = (interaction.data or {}).get("values", [])
        if not values or not all(value in offered for value in values):
            option = name.rpartition(".")[2]  # the select, as its view named it: "target"
            await report_error(interaction, OptionValueError(code="option_choice", option=option))
            return False
    return await admit(interaction, command=name, gated=gated, update=update)


class OwnedItem:
    """Mixed into each `DynamicItem` subclass: the owner check, admission and error reporting.

    Subclasses set `owner_id`, `name` (for metrics and logs, e.g. "DigitView.again") and
    `gated`/`update` (see `admit_press`), and write `press(interaction)` (and `prepare`, to
    load state the custom id does not hold). discord.py only logs
    what a dynamic item's check or callback raises, so both report it to the user here.
    """

    not_yours: ClassVar[str] = "not_your_buttons"
    owner_id: int
    name: str
    gated: str | None = None
    update: bool = False

    def offered(self) -> Collection[str] | None:
        """A select's option values (checked against the picked ones); None for a button."""
        item = getattr(self, "item", None)
        if isinstance(item, discord.ui.Select):
            return {option.value for option in item.options}
        return None

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        try:
            return await admit_press(
                interaction, owner_id=self.owner_id, name=self.name, not_yours=self.not_yours,
                gated=self.gated, update=self.update, offered=self.offered(),
                prepare=lambda: self.prepare(interaction),
            )  # fmt: skip
        except Exception as exc:
            await report_error(interaction, exc)
            return False

    async def prepare(self, interaction: discord.Interaction) -> None:
        """Load what the press needs beyond its custom id (nothing, unless overridden)."""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.press(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def press(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


def persistent_view(*items: discord.ui.Item) -> discord.ui.View:
    """A view of dynamic items: no timeout (nothing is kept in memory for it)."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def add_persistent_items(bot: GenAIBot, *items: type[discord.ui.DynamicItem]) -> None:
    """Register a feature's item classes once, so presses find them (a feature's `setup`)."""
    bot.add_dynamic_items(*items)
    bot.persistent_templates.extend(item.__discord_ui_compiled_template__ for item in items)


async def answer_stale(interaction: discord.Interaction) -> None:
    """An `on_interaction` listener: answer the presses nothing else will.

    A component whose custom_id matches none of the registered templates was sent by an older
    release (random ids, gone with its process); a modal submit still unanswered after
    UNCLAIMED_MODAL_S was opened by a process that is gone. Both get "these buttons have
    expired" privately, in the user's language.
    """
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    custom_id = data.get("custom_id", "")
    if interaction.type is discord.InteractionType.component:
        templates: list[re.Pattern[str]] = getattr(interaction.client, "persistent_templates", [])
        if any(template.fullmatch(custom_id) for template in templates):
            return
        off = getattr(interaction.client, "components_off", [])
        why = next((error for pattern, error in off if pattern.fullmatch(custom_id)), None)
        if why is not None:
            await report_error(interaction, why())
            return
    elif interaction.type is discord.InteractionType.modal_submit:
        await asyncio.sleep(UNCLAIMED_MODAL_S)
        if interaction.response.is_done():
            return
    else:
        return
    log.info("answered a press on expired component %s", component_kind(custom_id))
    await report_error(interaction, StaleComponentError())
