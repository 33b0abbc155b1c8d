"""/healthz, /readyz and /metrics over HTTP (aiohttp, which discord.py already depends on).

/healthz: the process answers at all. /readyz: 200 only when the bot is logged in, every
shard this process holds is connected, its commands are synced (where this process syncs
them), its models are loaded and it is not shutting down; 503 with what is missing otherwise
(the container's HEALTHCHECK and orchestrators read it). Its `shards` lists each shard's
connection and latency (bot.ops.gateway_state). /metrics: the bot's
Prometheus registry in the text exposition format, with genai_ready read at each scrape.
While the server runs it also measures the event loop's lag (bot.ops.loop_lag) into the registry.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.ops.loop_lag import LoopLagMonitor

if TYPE_CHECKING:
    from bot.client import GenAIBot

log = logging.getLogger(__name__)


class HealthServer:
    def __init__(self, bot: GenAIBot, *, host: str, port: int) -> None:
        self.bot = bot
        self.host = host
        self.port = port  # 0: any free port; `port` holds the real one once started
        self._runner: web.AppRunner | None = None
        self._loop_lag = LoopLagMonitor(bot.metrics.loop_lag)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._loop_lag.start()
        log.info("health and metrics on http://%s:%d (/healthz /readyz /metrics)", self.host, self.port)

    async def close(self) -> None:
        await self._loop_lag.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> HealthServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        checks = self.bot.readiness()
        ready = all(checks.values())
        shards = {
            str(shard_id): {"connected": state.connected, "latency_s": state.latency_s}
            for shard_id, state in self.bot.gateway.states().items()
        }
        body = {"ready": ready, **checks, "shards": shards}
        problem = self.bot.database.problem() if self.bot.database is not None else None
        if problem is not None:
            body["database_problem"] = problem
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        sampler = self.bot.sampler
        if sampler is not None:  # read now: a model swapped in since start-up counts
            self.bot.metrics.model.info({"version": str(sampler.version)})
        self.bot.metrics.ready.set(1 if all(self.bot.readiness().values()) else 0)
        body = generate_latest(self.bot.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
