"""The bench's side of bench/bot_process.py: start the bot in its own process against a
stand-in, wait until it has connected, and stop it when the measuring is done (or failed)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bench.bot_process import API_ENV, GATEWAY_ENV, GUILD_ENV, TOKEN_ENV
from tests.fakes.discord_server import DiscordStandIn

REPO_ROOT = Path(__file__).resolve().parents[1]
STOP_WAIT_S = 30.0  # SIGTERM first, so the bot closes its session as `genai-bot run` would


@contextlib.asynccontextmanager
async def running_bot(server: DiscordStandIn, args: list[str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bench.bot_process ARGS` pointed at `server`, connected; stopped on the way out."""
    env = os.environ | {
        API_ENV: server.api_base,
        GATEWAY_ENV: server.gateway_url,
        TOKEN_ENV: server.token,
        GUILD_ENV: str(server.guild_id),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bot_process", *args, env=env, cwd=REPO_ROOT
    )
    try:
        await until_connected_or_exited(server, bot)
        yield bot
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(bot.wait(), STOP_WAIT_S)
        except TimeoutError:
            bot.kill()
            await bot.wait()


async def until_connected_or_exited(server: DiscordStandIn, bot: asyncio.subprocess.Process) -> None:
    """Wait for the bot's command sync and gateway session; fail at once if it exits first."""

    async def connected() -> None:
        await server.wait_for_sync(server.guild_id, timeout=180)
        await server.wait_until_connected(timeout=60)

    ready, exited = asyncio.ensure_future(connected()), asyncio.ensure_future(bot.wait())
    await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        raise RuntimeError(
            f"the bot process exited with code {bot.returncode} before connecting (its error is above)"
        )
    exited.cancel()
    ready.result()
