"""The metrics operators chart and alert on (deploy/): readiness, the event loop's lag, Discord's
answers per route (429s) and the discord_* shard names, read over real HTTP from /metrics
while a real bot runs against the loopback Discord."""

from __future__ import annotations

import asyncio
import math
import time

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.client import GenAIBot
from bot.ops.discord_http import route_of
from bot.ops.health import HealthServer
from bot.settings import Settings
from bot.worker_pool import WorkerPool
from tests.bot.conftest import NO_LIMITS


async def _metrics(server: HealthServer) -> dict[tuple[str, tuple], float]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{server.port}/metrics") as response,
    ):
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.asyncio
async def test_genai_ready_is_0_before_login_and_1_once_ready(discord_server, start_bot):
    with WorkerPool(workers=1, timeout_s=5) as pool:
        idle = GenAIBot(settings=Settings(fair_use=NO_LIMITS), pool=pool, load_sampler=lambda: None)
        async with HealthServer(idle, host="127.0.0.1", port=0) as health:
            before = await _metrics(health)
    async with start_bot() as bot, HealthServer(bot, host="127.0.0.1", port=0) as health:
        after = await _metrics(health)
    assert before[("genai_ready", ())] == 0
    assert after[("genai_ready", ())] == 1


@pytest.mark.asyncio
async def test_a_blocked_event_loop_shows_in_the_lag_histogram(discord_server, start_bot):
    async with start_bot() as bot, HealthServer(bot, host="127.0.0.1", port=0) as health:
        await asyncio.sleep(0.1)  # the monitor's timer is pending now
        time.sleep(0.8)  # noqa: ASYNC251 - the point: a blocking call on the loop
        await asyncio.sleep(0.1)
        samples = await _metrics(health)
    count = samples[("genai_event_loop_lag_seconds_count", ())]
    within_quarter_second = samples[("genai_event_loop_lag_seconds_bucket", (("le", "0.25"),))]
    assert count >= 1
    assert count - within_quarter_second == 1  # the stall, and only it, was over 250 ms


@pytest.mark.asyncio
async def test_discord_429s_are_counted_per_route_without_the_interaction_token(discord_server, start_bot):
    async with start_bot() as bot, HealthServer(bot, host="127.0.0.1", port=0) as health:
        discord_server.rate_limit_next("POST", "/interactions/{id}/{token}/callback")
        ix = await discord_server.inject_command("digit", {"digit": 3})
        await discord_server.wait_for_reply(ix, lambda r: r.files)  # discord.py retried it
        samples = await _metrics(health)
    callback = "/interactions/{id}/{param}/callback"
    by_status = {
        dict(labels)["status"]: value
        for (name, labels), value in samples.items()
        if name == "discord_http_responses_total" and dict(labels)["route"] == callback
    }
    assert by_status.pop("429") == 1
    assert sum(by_status.values()) == 1 and all(s.startswith("2") for s in by_status)
    routes = {
        dict(labels)["route"]
        for (name, labels), _ in samples.items()
        if name == "discord_http_responses_total"
    }
    assert "/users/@me" in routes  # the login, counted like any other call
    assert not any(ix.token in route for route in routes)


@pytest.mark.asyncio
async def test_shards_are_exported_under_the_discord_ext_prometheus_names(discord_server, start_bot):
    async with start_bot() as bot, HealthServer(bot, host="127.0.0.1", port=0) as health:
        samples = await _metrics(health)
    assert samples[("discord_connected", (("shard", "0"),))] == 1
    latency = samples[("discord_latency", (("shard", "0"),))]
    assert not math.isnan(latency)
    assert latency == samples[("genai_gateway_latency_seconds", (("shard", "0"),))]


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/v10/channels/1234567890123/messages/99", "/channels/{id}/messages/{id}"),
        (
            "/api/v10/webhooks/123/aW50ZXJhY3Rpb246MTIz0Kx/messages/@original",
            "/webhooks/{id}/{param}/messages/@original",
        ),
        ("/api/v10/applications/5/guilds/6/commands", "/applications/{id}/guilds/{id}/commands"),
        (
            "/api/v10/channels/1/messages/2/reactions/%F0%9F%91%8D/@me",
            "/channels/{id}/messages/{id}/reactions/{param}/@me",
        ),
    ],
)
def test_routes_name_endpoints_not_ids_or_tokens(path, route):
    assert route_of(path) == route
