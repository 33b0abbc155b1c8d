"""The buttons under a /digit message: Again, Explore (move the digits across the style plane)
and Morph to… (an ephemeral picker of the target digit). Only the user who asked may press
them (OwnedView); the work goes back to the Digits cog and its worker pool."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

import discord

from bot.interactions.embeds import BUTTON_LABEL_LIMIT, clip
from bot.interactions.i18n import Lang, text
from bot.interactions.responses import Reply, reply_with
from bot.interactions.views import OwnedView
from genai_models.vae.serving.drawing import DEFAULT_FRAMES, axis_meaning, new_seed

if TYPE_CHECKING:
    import numpy as np

    from bot.features.digits.cog import Digits
    from genai_models.vae.serving.sampler import DigitSampler, MorphEnd

log = logging.getLogger(__name__)

# Explore: how far one press moves the shown digits across the style plane, in latent units
# (about a cell of /latent-map digit's grid).
EXPLORE_STEP = 0.7


@dataclass(frozen=True)
class DigitRequest:
    digit: int | None
    count: int
    seed: int
    offset: tuple[float, float] = (0.0, 0.0)  # Explore's move across the style plane



class DigitRequestView(OwnedView):
    """A view about one /digit request, for the cog to act on."""

    def __init__(self, cog: Digits, request: DigitRequest, *, owner: discord.abc.User, lang: Lang):
        super().__init__(owner=owner, lang=lang, timeout=cog.bot.view_timeout_s)
        self.cog = cog
        self.request = request


class DigitView(DigitRequestView):
    """"Again" redraws with a new seed; "Morph to…" asks for a target digit and animates.

    Explore (the second row) moves the shown digits across the style plane and redraws them in
    place: one batched decode per press. Its buttons are named after what each direction does
    to the handwriting, as measured on this model (DigitSampler.style_axes).
    """

    texts: ClassVar[dict[str, str]] = {"again": "again", "morph_to": "morph_to",
                                       "explore_reset": "explore_reset"}
    # Every press that draws counts as a /digit for fair use, and redraws in place.
    work: ClassVar[dict[str, tuple[str, bool]]] = {
        name: ("digit", True) for name in
        ("again", "explore_left", "explore_right", "explore_up", "explore_down", "explore_reset")
    }

    def __init__(self, cog: Digits, request: DigitRequest, *, owner: discord.abc.User, lang: Lang):
        super().__init__(cog, request, owner=owner, lang=lang)
        axes = cog.require_sampler().style_axes
        for item, names, direction in ((self.explore_left, axes.x, -1), (self.explore_right, axes.x, 1),
                                       (self.explore_up, axes.y, 1), (self.explore_down, axes.y, -1)):
            item.label = clip(axis_meaning(names, direction, lang), BUTTON_LABEL_LIMIT)

    @discord.ui.button(label="Again", style=discord.ButtonStyle.primary, emoji="🎲")
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.request = replace(self.request, seed=new_seed())
        await self._redraw(interaction)

    async def _redraw(self, interaction: discord.Interaction) -> None:
        work = self.cog.digits_reply(self.request, self.lang, view=self)
        await reply_with(interaction, work, update=True)  # redraws the message in place
        self.remember(interaction)

    async def _explore(self, interaction: discord.Interaction, dx: int, dy: int) -> None:
        limit = self.cog.require_sampler().style_extent
        x, y = self.request.offset
        offset = (_clamp(round(x + dx * EXPLORE_STEP, 2), limit),
                  _clamp(round(y + dy * EXPLORE_STEP, 2), limit))
        self.request = replace(self.request, offset=offset)
        await self._redraw(interaction)

    @discord.ui.button(label="left", emoji="⬅️", row=1)
    async def explore_left(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._explore(interaction, -1, 0)

    @discord.ui.button(label="right", emoji="➡️", row=1)
    async def explore_right(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._explore(interaction, 1, 0)

    @discord.ui.button(label="up", emoji="⬆️", row=1)
    async def explore_up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._explore(interaction, 0, 1)

    @discord.ui.button(label="down", emoji="⬇️", row=1)
    async def explore_down(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._explore(interaction, 0, -1)

    @discord.ui.button(label="Back", emoji="↩️", row=1)
    async def explore_reset(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.request = replace(self.request, offset=(0.0, 0.0))
        await self._redraw(interaction)

    @discord.ui.button(label="Morph to…", style=discord.ButtonStyle.secondary, emoji="🔀")
    async def morph_to(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        picker = MorphTargetView(self.cog, self.request, owner=self.owner, lang=self.lang)
        await interaction.response.send_message(
            text("pick_target", self.lang), view=picker, ephemeral=True
        )
        picker.remember(interaction)


class MorphTargetView(DigitRequestView):
    """An ephemeral picker: which digit should the shown digit turn into?"""

    texts: ClassVar[dict[str, str]] = {"target": "target_placeholder"}
    work: ClassVar[dict[str, tuple[str, bool]]] = {"target": ("morph", False)}

    @discord.ui.select(
        placeholder="Target digit",
        options=[discord.SelectOption(label=str(k), value=str(k)) for k in range(10)],
    )
    async def target(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        end = int(select.values[0])
        self.stop()  # one morph per picker
        await reply_with(interaction, self._morph_reply(end))  # a new, public message
        await self._dismiss()

    async def _morph_reply(self, end: int) -> Reply:
        digit, seed, offset = self.request.digit, self.request.seed, self.request.offset
        if digit is not None and not any(offset):
            start: MorphEnd = digit
        else:  # "any digit", or moved by Explore: morph from the very image the user sees
            start = await self.cog.bot.run_blocking(
                _shown_digit, self.cog.require_sampler(), digit, seed, offset
            )
        label = str(digit) if digit is not None else f"#{seed}"
        return await self.cog.morph_reply(
            start, end, labels=(label, str(end)), frames=DEFAULT_FRAMES, lang=self.lang
        )

    async def _dismiss(self) -> None:
        """Remove the ephemeral picker once used; it has nothing more to offer."""
        if self._holder is None:
            return
        try:
            await self._holder.delete_original_response()
        except discord.HTTPException as exc:
            log.debug("could not remove the morph picker: %s", exc)


def _shown_digit(
    sampler: DigitSampler, digit: int | None, seed: int, offset: tuple[float, float]
) -> np.ndarray:
    """The one digit a /digit message shows, decoded again (blocking: the worker pool's work)."""
    return sampler.digits(digit, count=1, seed=seed, offset=offset)[0]


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))
