"""/digit (with Explore), /morph, /handwriting and /latent-map: the VAE's handwritten digits.

Each command reads: check what can be checked at once, then reply with the work's result
(bot.interactions.responses defers only if it is slow); the drawing (genai_models.vae.serving.drawing, the
same functions the CLI calls) runs in the worker pool, and its embeds.py builds the message.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.exceptions import ModelNotLoadedError
from bot.features.digits.embeds import digits_reply, handwriting_reply, latent_map_reply, morph_reply
from bot.features.digits.menus import handwriting_from_message
from bot.features.digits.requests import DigitRequest
from bot.features.digits.views import (
    DigitButton,
    GridState,
    MorphTargetSelect,
    grid_controls,
    short_version,
)
from bot.interactions import attachments
from bot.interactions.i18n import Lang, command_text, interaction_language, text
from bot.interactions.responses import Reply, reply_with
from bot.interactions.server_context import current_rules
from bot.interactions.views import add_persistent_items
from genai_models.vae.serving.drawing import (
    DEFAULT_FRAMES,
    draw_digits,
    draw_handwriting,
    draw_latent_map,
    draw_morph,
    new_seed,
)
from genai_models.vae.serving.limits import MAX_SEED

if TYPE_CHECKING:
    from bot.client import GenAIBot
    from genai_models.vae.serving.sampler import DigitSampler, MorphEnd

log = logging.getLogger(__name__)


class Digits(commands.Cog):
    """Handwritten digits drawn, morphed and mapped by the VAE that serves now (`bot.sampler`).

    No model loaded (a process that syncs commands without loading it) leaves every command
    answering "model not loaded".
    """

    def __init__(self, bot: GenAIBot) -> None:
        self.bot = bot
        # Deterministic for a model: each map is drawn once per model version, digit (None:
        # the overview) and language.
        self._latent_maps: dict[tuple[str, int | None, Lang], bytes] = {}

    def require_sampler(self) -> DigitSampler:
        """The model serving now; refuses at once (before any deferral) when there is none."""
        sampler = self.bot.sampler
        if sampler is None:
            raise ModelNotLoadedError()
        return sampler

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
        await reply_with(interaction, self.digits_reply(request, lang, owner_id=interaction.user.id))

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
    @app_commands.describe(image=command_text("handwriting.image"), digit=command_text("handwriting.digit"))
    async def handwriting(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        digit: app_commands.Range[int, 0, 9] | None = None,
    ) -> None:
        self.require_sampler()
        attachments.check_attachment(image)  # a wrong file is refused before any deferral
        lang = interaction_language(interaction)
        await reply_with(interaction, self.reply_to_handwriting(image, digit, lang))

    @app_commands.command(name="latent-map", description=command_text("latent-map.description"))
    @app_commands.describe(digit=command_text("latent-map.digit"))
    async def latent_map(
        self, interaction: discord.Interaction, digit: app_commands.Range[int, 0, 9] | None = None
    ) -> None:
        self.require_sampler()
        await reply_with(interaction, self._latent_map_reply(digit, interaction_language(interaction)))

    # --- replies, shared by the commands and the buttons ---

    def image_mark(self) -> bool:
        """The visible AI mark: the server's choice, else the operator's (the file's metadata
        says what made it either way)."""
        rules = current_rules()
        return rules.image_mark if rules is not None else self.bot.settings.image_mark

    async def digits_reply(
        self,
        request: DigitRequest,
        lang: Lang,
        *,
        owner_id: int | None = None,
        note: str | None = None,
    ) -> Reply:
        """The grid `request` asks for; with its buttons when it has an owner, and `note` (the
        model has changed since) under the image."""
        sampler = self.require_sampler()
        png = await self.bot.run_blocking(
            draw_digits,
            sampler,
            request.digit,
            count=request.count,
            seed=request.seed,
            offset=request.offset,
            mark=self.image_mark(),
        )
        reply = digits_reply(
            png,
            digit=request.digit,
            count=request.count,
            seed=request.seed,
            version=sampler.version,
            lang=lang,
            offset=request.offset,
            note=note,
        )
        if owner_id is not None:
            state = GridState(owner_id, request, short_version(sampler.version))
            reply.view = grid_controls(state, sampler, lang)
        return reply

    async def morph_reply(
        self,
        start: MorphEnd,
        end: MorphEnd,
        *,
        labels: tuple[str, str],
        frames: int,
        lang: Lang,
        note: str | None = None,
    ) -> Reply:
        """A morph GIF; a user's image bytes go to the sampler as they are, in the pool."""
        sampler = self.require_sampler()
        seed = new_seed()
        gif = await self.bot.run_blocking(
            draw_morph,
            sampler,
            start,
            end,
            frames=frames,
            seed=seed,
            mark=self.image_mark(),
        )
        return morph_reply(
            gif,
            start=labels[0],
            end=labels[1],
            frames=frames,
            seed=seed,
            version=sampler.version,
            lang=lang,
            note=note,
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

    async def reply_to_handwriting(self, image: discord.Attachment, digit: int | None, lang: Lang) -> Reply:
        """The upload downloaded here, checked and written as 0–9 in the pool."""
        sampler = self.require_sampler()
        data = await attachments.download(image)
        png, written = await self.bot.run_blocking(
            draw_handwriting, sampler, data, digit, mark=self.image_mark()
        )
        return handwriting_reply(
            png,
            digit=written.digit,
            confidence=written.confidence,
            given=written.given,
            version=sampler.version,
            lang=lang,
        )

    async def _latent_map_reply(self, digit: int | None, lang: Lang) -> Reply:
        sampler = self.require_sampler()
        key = (sampler.version, digit, lang, self.image_mark())
        if key not in self._latent_maps:
            # A model swapped out is never shown again: its maps go.
            self._latent_maps = {k: v for k, v in self._latent_maps.items() if k[0] == sampler.version}
            self._latent_maps[key] = await self.bot.run_blocking(
                draw_latent_map, sampler, digit, lang=lang, mark=self.image_mark()
            )
        return latent_map_reply(self._latent_maps[key], digit=digit, version=sampler.version, lang=lang)


async def setup(bot: GenAIBot) -> None:
    cog = Digits(bot)
    await bot.add_cog(cog)
    add_persistent_items(bot, DigitButton, MorphTargetSelect)
    bot.tree.add_command(handwriting_from_message(cog))
