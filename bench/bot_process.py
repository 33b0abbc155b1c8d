"""The bot under test in `bench.bot_latency`, in a process of its own.

In production the bot's process holds the bot and nothing else: Discord's servers are elsewhere.
Measured in one process with the stand-in, every figure also paid for the stand-in's own work on
the same event loop and under the same GIL (parsing each multipart upload, recording it), which
the profile showed to be about 40% of the loop's time at concurrency 20. So the bench serves the
stand-in and the load from its own process and starts this one: the real GenAIBot, its cogs and
its worker pool, plus the baseline commands below, pointed at the stand-in's URLs.

Run by bench.bot_latency, with the stand-in's URLs, token and guild in the environment:
`python -m bench.bot_process --workers N [--model-dir DIR] [--fair-use off|queue|defaults]`.
Stops on SIGTERM or SIGINT. `--fair-use` (default off: only the worker pool queues, as the
latency bench measures) sets the bot's fair-use limits for bench.fair_use_flood.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import io
import logging
import os
import signal
import tempfile
from pathlib import Path

import discord
import numpy as np
from discord import app_commands
from discord.ext import commands
from PIL import Image

from bench.arguments import bench_parser

API_ENV, GATEWAY_ENV, TOKEN_ENV, GUILD_ENV = (
    "BENCH_DISCORD_API",
    "BENCH_DISCORD_GATEWAY",
    "BENCH_DISCORD_TOKEN",
    "BENCH_GUILD_ID",
)
# Set by /digit-unsigned for its own interaction: the bot's pool then encodes without signing.
UNSIGNED = contextvars.ContextVar("unsigned", default=False)


def _unsigned_call(func, /, *args, **kwargs):
    from genai_models.imaging import content_credentials

    with content_credentials.unsigned():
        return func(*args, **kwargs)


def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (28, 28), 0).save(buffer, format="PNG")
    return buffer.getvalue()


class Baselines(commands.Cog):
    """Commands that exist only in this bench, to measure ours against."""

    def __init__(self, bot, seed_decoder) -> None:
        self.bot = bot
        self.seed_decoder = seed_decoder
        self.png = _tiny_png()
        self.rng = np.random.default_rng(0)

    @app_commands.command(name="noop-file", description="Bench: a fixed PNG, at once.")
    async def noop_file(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(file=discord.File(io.BytesIO(self.png), "x.png"))

    @app_commands.command(name="digit-seed", description="Bench: the seed's predict(), inline.")
    async def digit_seed(self, interaction: discord.Interaction) -> None:
        from genai_models import imaging

        z = self.rng.standard_normal((1, self.seed_decoder.inputs[0].shape[-1])).astype("float32")
        images = self.seed_decoder.predict(z, verbose=0)[..., 0]  # blocks the loop, as the seed did
        png = imaging.grid_png(imaging.to_uint8(images))
        await interaction.response.send_message(file=discord.File(io.BytesIO(png), "digits.png"))

    @app_commands.command(name="digit-inline", description="Bench: our /digit work, inline.")
    async def digit_inline(self, interaction: discord.Interaction) -> None:
        from bot.features.digits.cog import new_seed
        from genai_models.vae.serving.drawing import draw_digits

        png = draw_digits(self.bot.sampler, None, count=1, seed=new_seed())
        await interaction.response.send_message(file=discord.File(io.BytesIO(png), "digits.png"))

    @app_commands.command(name="morph-inline", description="Bench: our /morph work, inline.")
    async def morph_inline(self, interaction: discord.Interaction, start: int, end: int) -> None:
        from bot.features.digits.cog import new_seed
        from genai_models.vae.serving.drawing import draw_morph

        gif = draw_morph(self.bot.sampler, start, end, seed=new_seed())
        await interaction.response.send_message(file=discord.File(io.BytesIO(gif), "morph.gif"))

    @app_commands.command(name="digit-unsigned", description="Bench: /digit without signing.")
    async def digit_unsigned(self, interaction: discord.Interaction, seed: int | None = None) -> None:
        """The real /digit (the Digits cog's own callback), its images left unsigned: what
        Content Credentials cost, measured against the same path in the same run."""
        UNSIGNED.set(True)
        digits = self.bot.get_cog("Digits")
        await type(digits).digit.callback(digits, interaction, None, 1, seed)


def seed_decoder_with_our_weights(model_dir: Path, latent_dim: int):
    """The seed's decoder (sigmoid output, predict() per call) drawing our decoder's digits."""
    from bench.vae_speed import seed_decoder_like

    decoder = seed_decoder_like(model_dir)
    decoder.predict(np.zeros((1, latent_dim), "float32"), verbose=0)  # warm
    return decoder


def fair_use_limits(mode: str):
    """off: no limits (the pool alone queues; the bench's users all share one server, so its
    per-server cap is lifted too, or most of them would wait in the fair-use queue, deferred);
    queue: the fair queue without cooldowns or a per-user cap, so a flood is queued; defaults:
    what `genai-bot run` uses, except /digit's cooldown (the bench's other user sends /digit
    back to back to measure it)."""
    from bot.fair_use.limits import DEFAULT_COOLDOWNS_S, FairUseLimits

    if mode == "defaults":
        return FairUseLimits(cooldowns_s=dict(DEFAULT_COOLDOWNS_S) | {"digit": 0.0})
    if mode == "queue":
        return FairUseLimits(cooldowns_s={}, jobs_per_user=1000, queue_size=1000)
    return FairUseLimits(
        cooldowns_s={}, jobs_per_user=1000, jobs_per_guild=1000, model_concurrency=1000, queue_size=1000
    )


async def serve(sampler, seed_decoder, *, workers: int, fair_use: str = "off") -> None:
    from bot.cli.signing import make_signer
    from bot.client import GenAIBot
    from bot.ops.gc_pauses import freeze_startup_objects
    from bot.settings import Settings
    from bot.worker_pool import WorkerPool
    from genai_models.imaging import content_credentials

    class BenchBot(GenAIBot):
        async def setup_hook(self) -> None:
            await self.add_cog(Baselines(self, seed_decoder))
            await super().setup_hook()  # loads our cogs and syncs all commands to the guild

        async def run_blocking(self, func, /, *args, **kwargs):
            if UNSIGNED.get():
                func = functools.partial(_unsigned_call, func)
            return await super().run_blocking(func, *args, **kwargs)

    # As `genai-bot run` does with no certificate set: a local authority (here a temporary one).
    content_credentials.install(make_signer(Settings(data_dir=Path(tempfile.mkdtemp()))))

    settings = Settings(
        dev_guild_id=int(os.environ[GUILD_ENV]), workers=workers, fair_use=fair_use_limits(fair_use)
    )
    with WorkerPool(workers=workers, timeout_s=120) as pool:
        # discord.py waits 2 s after the last GUILD_CREATE by default; the stand-in sends its one.
        bot = BenchBot(settings=settings, pool=pool, load_sampler=lambda: sampler, guild_ready_timeout=0.05)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.close()))
        async with bot:
            await bot.login(os.environ[TOKEN_ENV])  # runs setup_hook: models, cogs, sync
            freeze_startup_objects()  # as `genai-bot run` does (bot/ops/gc_pauses.py)
            await bot.connect()


def main(argv: list[str] | None = None) -> None:
    parser = bench_parser("bench.bot_process", __doc__)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--fair-use", choices=("off", "queue", "defaults"), default="off")
    args = parser.parse_args(argv)
    # Start-up chatter, and the bot's reports of interactions the inline baselines lose: the
    # bench's tables count those.
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("bot").setLevel(logging.CRITICAL)

    import yarl
    from discord.gateway import DiscordWebSocket

    from genai_models.vae.serving.card import PRETRAINED_DIR
    from genai_models.vae.serving.sampler import DigitSampler

    discord.http.Route.BASE = os.environ[API_ENV]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ[GATEWAY_ENV])
    model_dir = args.model_dir or PRETRAINED_DIR
    sampler = DigitSampler.load(model_dir)
    sampler.draw_pools()  # every pool point drawn: a bot that has served many /digit, at steady state
    # What the bot's start-up otherwise does in a background thread for seconds (decoding the
    # model's own digits for /handwriting): done before the bench measures, or it would compete
    # with whichever series happen to run first.
    sampler.prepare_uploads()
    seed_decoder = seed_decoder_with_our_weights(model_dir, sampler.latent_dim)
    asyncio.run(serve(sampler, seed_decoder, workers=args.workers, fair_use=args.fair_use))


if __name__ == "__main__":
    main()
