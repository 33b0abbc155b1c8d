"""Fixtures for the bot's end-to-end tests: the real discord.py client against the loopback
Discord stand-in, the real DigitSampler (loaded once: TensorFlow is slow), and FakeOpenAI."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image

from bot.client import GenAIBot
from bot.concurrency import WorkerPool
from bot.settings import Settings
from tests.fakes.discord_server import DiscordStandIn, run_bot


@pytest.fixture(scope="session")
def sampler():
    """The weights shipped in the package, loaded once per test session."""
    from genai_models.vae.sampler import DigitSampler

    return DigitSampler.load()


@pytest_asyncio.fixture
async def discord_server() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as server:
        yield server


@pytest.fixture
def start_bot(discord_server, sampler, tmp_path) -> Callable[..., Any]:
    """`async with start_bot(**overrides) as bot:` runs a GenAIBot against the stand-in.

    Overrides: poet, load_sampler (default: the session's real sampler), workers,
    command_timeout_s, view_timeout_s, training_dir.
    """

    @contextlib.asynccontextmanager
    async def start(
        *,
        poet=None,
        load_sampler: Callable[[], Any] | None = lambda: sampler,
        workers: int = 2,
        command_timeout_s: float = 30.0,
        view_timeout_s: float = 60.0,
        training_dir=None,
    ) -> AsyncIterator[GenAIBot]:
        settings = Settings(
            dev_guild_id=discord_server.guild_id,
            training_dir=training_dir or tmp_path / "runs",
            workers=workers,
            command_timeout_s=command_timeout_s,
        )
        with WorkerPool(workers=workers, timeout_s=command_timeout_s) as pool:
            bot = GenAIBot(
                settings=settings,
                pool=pool,
                poet=poet,
                load_sampler=load_sampler,
                view_timeout_s=view_timeout_s,
            )
            async with run_bot(bot, discord_server):
                yield bot

    return start


def png_of(array, *, scale: int = 8, invert: bool = True) -> bytes:
    """A digit array (ink = 1) drawn as a user would upload it: dark ink on white, enlarged."""
    import numpy as np

    pixels = np.asarray(array, dtype="float32")
    if invert:
        pixels = 1.0 - pixels
    image = Image.fromarray((pixels * 255).astype("uint8"), mode="L")
    image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_of(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))
