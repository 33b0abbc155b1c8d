"""/digit (with Explore), /morph, /handwriting and /latent-map: the VAE's handwritten digits.

Each command reads: check what can be checked at once, then reply with the work's result
(bot.responses defers only if it is slow); the drawing (genai_models.vae.serving.drawing, the
same functions the CLI calls) runs in the worker pool, and bot.rendering builds the message.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import attachments, rendering
from bot.i18n import Lang, command_text, interaction_language, text
from bot.responses import Reply, reply_with
from bot.views import OwnedView
from genai_models.errors import GenAIError
from genai_models.vae.serving.drawing import (
    DEFAULT_FRAMES,
    axis_meaning,
    draw_digits,
    draw_drawn_digits,
    draw_handwriting,
    draw_latent_map,
    draw_morph,
)

if TYPE_CHECKING:
    from bot.client import GenAIBot
    from genai_models.vae.serving.sampler import DigitSampler, MorphEnd

log = logging.getLogger(__name__)

MAX_SEED = 2**31 - 1
# Explore: how far one press moves the shown digits across the style plane, in latent units
# (about a cell of /latent-map digit's grid).
EXPLORE_STEP = 0.7
# /digit grids up to this many digits whose drawings are ready are answered on the event loop:
# a lookup and a small PNG cost less than the hop to the worker pool (bench.bot_latency).
# Bigger grids, and anything that decodes, go to the pool.
LOOP_GRID_MAX = 9


class ModelNotLoadedError(GenAIError):
    """The digit model is not loaded (still starting, or this process runs without it)."""

    default_code = "model_loading"


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


@dataclass(frozen=True)
class DigitRequest:
    digit: int | None
    count: int
    seed: int
    offset: tuple[float, float] = (0.0, 0.0)  # Explore's move across the style plane


class Digits(commands.Cog):
    """Handwritten digits drawn, morphed and mapped by the VAE.

    `sampler` None (a process that syncs commands without loading the model) leaves every
    command answering "model not loaded".
    """

    def __init__(self, bot: GenAIBot, sampler: DigitSampler | None) -> None:
        self.bot = bot
        self.sampler = sampler
        # Deterministic for a model: each map is drawn once per model version, digit (None:
        # the overview) and language.
        self._latent_maps: dict[tuple[str, int | None, Lang], bytes] = {}
        self._stop_drawing = threading.Event()

    async def cog_load(self) -> None:
        self._draw_pools_soon(self.sampler)

    async def cog_unload(self) -> None:
        self._stop_drawing.set()

    @commands.Cog.listener()
    async def on_sampler_swapped(self, sampler: DigitSampler) -> None:
        """A newly trained model serves from the next request on (bot.swap_sampler)."""
        self.sampler = sampler
        self._latent_maps.clear()  # the old model's maps are never shown again
        self._draw_pools_soon(sampler)

    def _draw_pools_soon(self, sampler: DigitSampler | None) -> None:
        """Draw the model's pools ahead, off the loop, so that /digit becomes a lookup
        (`digits_reply`): in a thread of its own, not the worker pool, so no request waits
        behind it; it stops within a chunk when told to or when the process exits."""
        self._stop_drawing.set()  # the previous model's, if still drawing
        if sampler is None:
            return
        self._stop_drawing = threading.Event()
        threading.Thread(target=_draw_pools, args=(sampler, self._stop_drawing),
                         name="genai-digit-pools").start()

    def require_sampler(self) -> DigitSampler:
        """The loaded model; refuses at once (before any deferral) when there is none."""
        if self.sampler is None:
            raise ModelNotLoadedError()
        return self.sampler

    @app_commands.command(name="digit", description=command_text("digit.description"))
    @app_commands.describe(
        digit=command_text("digit.digit"),
        count=command_text("digit.count"),
        seed=command_text("digit.seed"),
    )
    async def digit(
        self,
        interaction: discord.Interaction,
        digit: app_commands.Range[int, 0, 9] | None = None,
        count: app_commands.Range[int, 1, 25] = 1,
        seed: app_commands.Range[int, 0, MAX_SEED] | None = None,
    ) -> None:
        self.require_sampler()
        request = DigitRequest(digit, count, new_seed() if seed is None else seed)
        lang = interaction_language(interaction)
        view = DigitView(self, request, owner=interaction.user, lang=lang)
        await reply_with(interaction, self.digits_reply(request, lang, view))
        view.remember(interaction)

    @app_commands.command(name="morph", description=command_text("morph.description"))
    @app_commands.describe(
        start=command_text("morph.start"),
        end=command_text("morph.end"),
        frames=command_text("morph.frames"),
        start_image=command_text("morph.start_image"),
        end_image=command_text("morph.end_image"),
    )
    async def morph(
        self,
        interaction: discord.Interaction,
        start: app_commands.Range[int, 0, 9],
        end: app_commands.Range[int, 0, 9],
        frames: app_commands.Range[int, 2, 60] = DEFAULT_FRAMES,
        start_image: discord.Attachment | None = None,
        end_image: discord.Attachment | None = None,
    ) -> None:
        self.require_sampler()
        for image in (start_image, end_image):
            if image is not None:
                attachments.check_attachment(image)  # wrong files refused before any deferral
        lang = interaction_language(interaction)
        await reply_with(
            interaction,
            self._user_morph_reply(start, end, start_image, end_image, frames=frames, lang=lang),
        )

    @app_commands.command(name="handwriting", description=command_text("handwriting.description"))
    @app_commands.describe(
        image=command_text("handwriting.image"), digit=command_text("handwriting.digit"))
    async def handwriting(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        digit: app_commands.Range[int, 0, 9] | None = None,
    ) -> None:
        self.require_sampler()
        attachments.check_attachment(image)  # a wrong file is refused before any deferral
        lang = interaction_language(interaction)
        await reply_with(interaction, self._handwriting_reply(image, digit, lang))

    @app_commands.command(name="latent-map", description=command_text("latent-map.description"))
    @app_commands.describe(digit=command_text("latent-map.digit"))
    async def latent_map(
        self, interaction: discord.Interaction, digit: app_commands.Range[int, 0, 9] | None = None
    ) -> None:
        self.require_sampler()
        await reply_with(interaction, self._latent_map_reply(digit, interaction_language(interaction)))

    # --- replies, shared by the commands and the buttons ---

    async def digits_reply(
        self, request: DigitRequest, lang: Lang, view: discord.ui.View | None = None
    ) -> Reply:
        sampler = self.require_sampler()
        png = None
        if request.count <= LOOP_GRID_MAX and not any(request.offset):
            png = draw_drawn_digits(sampler, request.digit, count=request.count,
                                    seed=request.seed, mark=self.bot.settings.image_mark)
        if png is None:
            png = await self.bot.run_blocking(
                draw_digits, sampler, request.digit, count=request.count, seed=request.seed,
                offset=request.offset, mark=self.bot.settings.image_mark,
            )
        reply = rendering.digits_reply(
            png, digit=request.digit, count=request.count, seed=request.seed,
            version=sampler.version, lang=lang, offset=request.offset,
        )
        reply.view = view
        return reply

    async def morph_reply(
        self, start: MorphEnd, end: MorphEnd, *, labels: tuple[str, str], frames: int, lang: Lang
    ) -> Reply:
        """A morph GIF; a user's image bytes go to the sampler as they are, in the pool."""
        sampler = self.require_sampler()
        seed = new_seed()
        gif = await self.bot.run_blocking(
            draw_morph, sampler, start, end, frames=frames, seed=seed,
            mark=self.bot.settings.image_mark,
        )
        return rendering.morph_reply(
            gif, start=labels[0], end=labels[1], frames=frames, seed=seed,
            version=sampler.version, lang=lang,
        )

    async def _user_morph_reply(
        self,
        start: int,
        end: int,
        start_image: discord.Attachment | None,
        end_image: discord.Attachment | None,
        *,
        frames: int,
        lang: Lang,
    ) -> Reply:
        """A morph whose ends may be users' images: downloaded here, decoded in the pool."""
        ends: list[int | bytes] = [start, end]
        for i, image in enumerate((start_image, end_image)):
            if image is not None:
                ends[i] = await attachments.download(image)
        labels = tuple(text("your_image", lang) if isinstance(x, bytes) else str(x) for x in ends)
        return await self.morph_reply(ends[0], ends[1], labels=labels, frames=frames, lang=lang)

    async def _handwriting_reply(
        self, image: discord.Attachment, digit: int | None, lang: Lang
    ) -> Reply:
        """The upload downloaded here, checked and written as 0–9 in the pool."""
        sampler = self.require_sampler()
        data = await attachments.download(image)
        png, written = await self.bot.run_blocking(
            draw_handwriting, sampler, data, digit, mark=self.bot.settings.image_mark
        )
        return rendering.handwriting_reply(
            png, digit=written.digit, confidence=written.confidence, given=written.given,
            version=sampler.version, lang=lang,
        )

    async def _latent_map_reply(self, digit: int | None, lang: Lang) -> Reply:
        sampler = self.require_sampler()
        key = (sampler.version, digit, lang)
        if key not in self._latent_maps:
            self._latent_maps[key] = await self.bot.run_blocking(
                draw_latent_map, sampler, digit, lang=lang, mark=self.bot.settings.image_mark
            )
        return rendering.latent_map_reply(
            self._latent_maps[key], digit=digit, version=sampler.version, lang=lang)


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
            item.label = rendering.clip(axis_meaning(names, direction, lang), rendering.BUTTON_LABEL_LIMIT)

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
            start = self.cog.require_sampler().digits(digit, count=1, seed=seed, offset=offset)[0]
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


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


def _draw_pools(sampler: DigitSampler, stop: threading.Event) -> None:
    try:
        sampler.draw_pools(stop)
    except Exception as exc:  # only a speed-up: requests draw the digits they pick themselves
        log.warning("drawing the digit pools ahead failed (%s): requests draw their own",
                    type(exc).__name__)


async def setup(bot: GenAIBot) -> None:
    await bot.add_cog(Digits(bot, bot.sampler))
