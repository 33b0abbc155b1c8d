"""The buttons under a digit grid and the "Morph to…" picker, with their state in their ids.

Each component's custom_id carries what its press needs: the owner, the digit (or "-" for any),
the count, the seed, Explore's position (in hundredths of a latent unit) and the short id of
the model that drew the grid. So a press works after a restart or on another shard process,
however old its message. When the model has been swapped since, the press draws with the model
serving now and says so under the image (a user pressing "Again" wants digits, not an error;
the embed names the model that drew them).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import discord

from bot.features.digits.requests import DigitRequest
from bot.interactions.embeds import BUTTON_LABEL_LIMIT, clip
from bot.interactions.i18n import Lang, interaction_language, text
from bot.interactions.responses import reply_with, uninterrupted
from bot.interactions.views import OwnedItem, persistent_view
from genai_models.vae.serving.drawing import DEFAULT_FRAMES, axis_meaning, new_seed

if TYPE_CHECKING:
    from bot.features.digits.cog import Digits
    from genai_models.vae.serving.sampler import DigitSampler, MorphEnd
    from genai_models.vae.serving.style import AxisMeaning

log = logging.getLogger(__name__)

_STATE = (
    r"(?P<owner>[0-9]{1,20}):(?P<digit>[0-9-]):(?P<count>[0-9]{1,2}):(?P<seed>[0-9]{1,10})"
    r":(?P<x>-?[0-9]{1,5}):(?P<y>-?[0-9]{1,5}):(?P<model>[0-9a-z]{1,16})"
)
# Each action's name in metrics and logs (as before these buttons outlived their process).
ACTIONS = {
    "again": "again",
    "morph": "morph_to",
    "left": "explore_left",
    "right": "explore_right",
    "up": "explore_up",
    "down": "explore_down",
    "back": "explore_reset",
}
MOVES = {"left": (-1, 0), "right": (1, 0), "up": (0, 1), "down": (0, -1)}


def short_version(version: str) -> str:
    """A model version's hash part ("vae16d-b8153a1926" → "b8153a1926"), for custom ids."""
    return re.sub(r"[^0-9a-z]", "", version.rsplit("-", 1)[-1].lower())[:16] or "0"


@dataclass(frozen=True)
class GridState:
    """What the grid shows: whose it is, what was drawn, and by which model."""

    owner_id: int
    request: DigitRequest
    model: str  # short_version of the model that drew it

    def encode(self) -> str:
        r = self.request
        digit = "-" if r.digit is None else str(r.digit)
        x, y = (round(v * 100) for v in r.offset)
        return f"{self.owner_id}:{digit}:{r.count}:{r.seed}:{x}:{y}:{self.model}"

    @classmethod
    def decode(cls, match: re.Match[str]) -> GridState:
        digit = None if match["digit"] == "-" else int(match["digit"])
        offset = (int(match["x"]) / 100, int(match["y"]) / 100)
        request = DigitRequest(digit, int(match["count"]), int(match["seed"]), offset)
        return cls(int(match["owner"]), request, match["model"])


def digits_cog(interaction: discord.Interaction) -> Digits:
    return interaction.client.get_cog("Digits")  # type: ignore[union-attr, return-value]


def model_note(state: GridState, sampler: DigitSampler, lang: Lang) -> str | None:
    """Said under a redraw when the model that drew the grid no longer serves."""
    if state.model == short_version(sampler.version):
        return None
    return text("model_changed_note", lang, version=sampler.version)


class DigitButton(
    OwnedItem,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"digit:(?P<action>again|morph|left|right|up|down|back):" + _STATE,
):
    """One button under a grid: Again, Morph to…, or one of Explore's five."""

    def __init__(self, action: str, state: GridState, *, button: discord.ui.Button) -> None:
        button.custom_id = f"digit:{action}:{state.encode()}"
        super().__init__(button)
        self.action = action
        self.state = state
        self.owner_id = state.owner_id
        self.name = f"DigitView.{ACTIONS[action]}"
        # Every press that draws counts as a /digit for fair use, and redraws in place.
        self.gated, self.update = (None, False) if action == "morph" else ("digit", True)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> DigitButton:
        return cls(match["action"], GridState.decode(match), button=item)

    async def press(self, interaction: discord.Interaction) -> None:
        cog = digits_cog(interaction)
        lang = interaction_language(interaction)
        request = self.state.request
        if self.action == "morph":
            picker = persistent_view(MorphTargetSelect(self.state, lang=lang))
            await interaction.response.send_message(text("pick_target", lang), view=picker, ephemeral=True)
            return
        sampler = cog.require_sampler()
        if self.action == "again":
            request = replace(request, seed=new_seed())
        elif self.action == "back":
            request = replace(request, offset=(0.0, 0.0))
        else:
            request = request.explored(*MOVES[self.action], limit=sampler.style_extent)
        note = model_note(self.state, sampler, lang)
        work = cog.digits_reply(request, lang, owner_id=self.owner_id, note=note)
        await reply_with(interaction, work, update=True)  # redraws the message in place


def grid_controls(state: GridState, sampler: DigitSampler, lang: Lang) -> discord.ui.View:
    """Again and Morph to… (first row), Explore's moves and Back (second row).

    Explore's buttons are named after what each direction does to the handwriting, as
    measured on this model (DigitSampler.style_axes).
    """
    labels = button_labels(sampler.style_axes, lang)
    items = [
        DigitButton(
            "again",
            state,
            button=discord.ui.Button(
                label=labels["again"], emoji="🎲", style=discord.ButtonStyle.primary, row=0
            ),
        ),
        DigitButton(
            "morph",
            state,
            button=discord.ui.Button(
                label=labels["morph"], emoji="🔀", style=discord.ButtonStyle.secondary, row=0
            ),
        ),
    ]
    items += [
        DigitButton(action, state, button=discord.ui.Button(label=labels[action], emoji=emoji, row=1))
        for action, emoji in EXPLORE_EMOJI.items()
    ]
    return persistent_view(*items)


EXPLORE_EMOJI = {"left": "⬅️", "right": "➡️", "up": "⬆️", "down": "⬇️", "back": "↩️"}


@functools.lru_cache(maxsize=64)
def button_labels(axes: AxisMeaning, lang: Lang) -> dict[str, str]:
    """Each button's label for a model's style axes in `lang`: the same for every grid the
    model draws, so worked out once rather than for every reply. (Read only: it is shared.)"""
    return {
        "again": text("again", lang),
        "morph": text("morph_to", lang),
        "left": clip(axis_meaning(axes.x, -1, lang), BUTTON_LABEL_LIMIT),
        "right": clip(axis_meaning(axes.x, 1, lang), BUTTON_LABEL_LIMIT),
        "up": clip(axis_meaning(axes.y, 1, lang), BUTTON_LABEL_LIMIT),
        "down": clip(axis_meaning(axes.y, -1, lang), BUTTON_LABEL_LIMIT),
        "back": clip(text("explore_reset", lang), BUTTON_LABEL_LIMIT),
    }


class MorphTargetSelect(OwnedItem, discord.ui.DynamicItem[discord.ui.Select], template=r"morph-to:" + _STATE):
    """An ephemeral picker: which digit should the shown digit turn into?

    Its answer is a new public message with the morph; the picker then goes away, removed
    through this very press (it answers by deferring an update of the picker's message).
    """

    def __init__(
        self, state: GridState, *, lang: Lang | None = None, select: discord.ui.Select | None = None
    ) -> None:
        if select is None:
            select = discord.ui.Select(
                placeholder=text("target_placeholder", lang or "en"),
                options=[discord.SelectOption(label=str(k), value=str(k)) for k in range(10)],
            )
        select.custom_id = f"morph-to:{state.encode()}"
        super().__init__(select)
        self.state = state
        self.owner_id = state.owner_id
        self.name = "MorphTargetView.target"
        self.gated, self.update = "morph", True  # waits, if it must, in the picker

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str], /
    ) -> MorphTargetSelect:
        return cls(GridState.decode(match), select=item)

    async def press(self, interaction: discord.Interaction) -> None:
        cog = digits_cog(interaction)
        lang = interaction_language(interaction)
        end = int(self.item.values[0])
        sampler = cog.require_sampler()
        if not interaction.response.is_done():
            await uninterrupted(interaction.response.defer())  # a deferred update of the picker
        start, label = await self._start(cog, sampler)
        reply = await cog.morph_reply(
            start,
            end,
            labels=(label, str(end)),
            frames=DEFAULT_FRAMES,
            lang=lang,
            note=model_note(self.state, sampler, lang),
        )
        await interaction.followup.send(**_public(reply.message_kwargs()), files=reply.files)
        with contextlib.suppress(discord.HTTPException):  # already dismissed by the user
            await interaction.delete_original_response()

    async def _start(self, cog: Digits, sampler: DigitSampler) -> tuple[MorphEnd, str]:
        """The morph's first end and its name: the digit, or the very image the user saw."""
        request = self.state.request
        digit, seed, offset = request.digit, request.seed, request.offset
        label = str(digit) if digit is not None else f"#{seed}"
        if digit is not None and not any(offset):
            return digit, label
        # "any digit", or moved by Explore: decoded in the pool, as every drawing is
        images = await cog.bot.run_blocking(sampler.digits, digit, count=1, seed=seed, offset=offset)
        return images[0], label


def _public(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {**kwargs, "ephemeral": False}
