"""`genai-bot run` shard processes against the loopback Discord, for tests and the bench.

Each is the real CLI in a process of its own, with one change made before it starts (as in
tests/cli/test_run.py): discord.py's REST base and gateway URL point at the stand-in, which the
caller's event loop serves. Output goes to a log file, not a pipe: at INFO a bot writes more
than a pipe holds while nobody reads it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.discord_server import DiscordStandIn

REPO_ROOT = Path(__file__).resolve().parents[1]
ENTRY_VIA_STAND_IN = """
import os, discord.http, yarl
from discord.gateway import DiscordWebSocket
discord.http.Route.BASE = os.environ["TEST_DISCORD_API"]
DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["TEST_DISCORD_GATEWAY"])
from bot.__main__ import main
main()
"""


@dataclass
class ShardProcess:
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (what `docker stop` sends), then the exit code; killed if it hangs."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        return self.process.returncode


def bot_environment(server: DiscordStandIn, extra: dict[str, str]) -> dict[str, str]:
    """The process environment: the stand-in's URLs and token, no developer settings."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "DISCORD_", "GENAI_", "DEV_GUILD", "SHARD_"))
    }
    return (
        base
        | {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
            "TEST_DISCORD_API": server.api_base,
            "TEST_DISCORD_GATEWAY": server.gateway_url,
            "DISCORD_TOKEN": server.token,
            "GENAI_WORKERS": "1",
            "LOG_LEVEL": "INFO",
        }
        | extra
    )


async def start_shard_process(
    server: DiscordStandIn,
    *,
    shard_ids: str,
    shard_count: int,
    workdir: Path,
    env: dict[str, str] | None = None,
) -> ShardProcess:
    """`genai-bot run` with SHARD_COUNT and SHARD_IDS, from its own folder under `workdir`."""
    folder = workdir / f"shards-{shard_ids.replace(',', '_')}"
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "bot.log"
    extra = {"SHARD_COUNT": str(shard_count), "SHARD_IDS": shard_ids} | (env or {})
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            ENTRY_VIA_STAND_IN,
            "run",
            env=bot_environment(server, extra),
            cwd=folder,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    return ShardProcess(process, log_path)


async def until_serving(
    server: DiscordStandIn, processes: list[ShardProcess], *, timeout: float = 240.0
) -> None:
    """Until the commands are synced and every guild is served; fail at once if one exits."""

    async def serving() -> None:
        await server.syncs.wait_for(lambda sync: True, timeout=timeout, what="command sync")
        await server.wait_until_connected(timeout=timeout)

    ready = asyncio.ensure_future(serving())
    exits = [asyncio.ensure_future(p.process.wait()) for p in processes]
    try:
        await asyncio.wait({ready, *exits}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in exits:
            waiter.cancel()
    if not ready.done():
        ready.cancel()
        gone = next(p for p in processes if p.process.returncode is not None)
        raise RuntimeError(
            f"a shard process exited with {gone.process.returncode} before serving:\n{gone.log[-3000:]}"
        )
    ready.result()
