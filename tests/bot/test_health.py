"""/healthz, /readyz and /metrics over real HTTP while a real bot runs against the loopback
Discord; /metrics is read with prometheus_client's own parser."""

from __future__ import annotations

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.client import GenAIBot
from bot.ops.health import HealthServer
from bot.settings import Settings
from bot.worker_pool import WorkerPool
from tests.bot.conftest import NO_LIMITS
from tests.fakes.openai_server import Fault


async def _get(server: HealthServer, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{server.port}{path}") as response,
    ):
        return response.status, await response.text()


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.asyncio
async def test_readyz_is_503_until_logged_in_synced_and_loaded_then_200(discord_server, start_bot):
    with WorkerPool(workers=1, timeout_s=5) as pool:
        # A bot built as `genai-bot run` builds it, before its login (and model load) began.
        idle = GenAIBot(settings=Settings(fair_use=NO_LIMITS), pool=pool, load_sampler=lambda: None)
        async with HealthServer(idle, host="127.0.0.1", port=0) as health:
            alive = await _get(health, "/healthz")
            before = await _get(health, "/readyz")
    async with start_bot() as bot, HealthServer(bot, host="127.0.0.1", port=0) as health:
        after = await _get(health, "/readyz")
        bot.in_flight.draining = True  # a shutdown has begun: out of rotation
        draining = await _get(health, "/readyz")
        bot.in_flight.draining = False
    assert alive == (200, "ok\n")
    assert before[0] == 503
    assert '"logged_in": false' in before[1] and '"models_loaded": false' in before[1]
    assert after[0] == 200 and '"ready": true' in after[1]
    assert draining[0] == 503 and '"accepting_work": false' in draining[1]


@pytest.mark.asyncio
async def test_metrics_count_commands_outcomes_latency_refusals_and_the_model(
    discord_server, start_bot, sampler
):
    from bot.fair_use.limits import FairUseLimits

    limits = FairUseLimits(cooldowns_s={"digit": 60.0}, model_concurrency=2)
    async with start_bot(fair_use=limits) as bot, HealthServer(bot, host="127.0.0.1", port=0) as health:
        ok = await discord_server.inject_command("digit", {"digit": 1})
        await discord_server.wait_for_reply(ok, lambda r: r.files)
        refused = await discord_server.inject_command("digit", {"digit": 1})
        await discord_server.wait_for_reply(refused, lambda r: r.ephemeral)
        forged = await discord_server.inject_command(
            "morph", {"start": 1, "end": 2, "frames": 999}, check=False
        )
        await discord_server.wait_for_reply(forged, lambda r: r.ephemeral)
        status, text = await _get(health, "/metrics")
    assert status == 200
    samples = _samples(text)
    assert samples[("genai_commands_total", (("command", "digit"), ("outcome", "ok")))] == 1
    assert samples[("genai_commands_total", (("command", "digit"), ("outcome", "cooldown")))] == 1
    assert samples[("genai_commands_total", (("command", "morph"), ("outcome", "option_range")))] == 1
    assert samples[("genai_cooldown_refusals_total", (("command", "digit"), ("reason", "cooldown")))] == 1
    count = samples[("genai_command_duration_seconds_count", (("command", "digit"),))]
    assert count == 2
    assert samples[("genai_command_duration_seconds_sum", (("command", "digit"),))] > 0
    assert samples[("genai_queue_depth", (("resource", "model"),))] == 0
    assert samples[("genai_worker_threads_busy", ())] == 0
    assert samples[("genai_model_info", (("version", str(sampler.version)),))] == 1
    assert 0 <= samples[("genai_gateway_latency_seconds", (("shard", "0"),))] < 5
    assert samples[("genai_gateway_connected", (("shard", "0"),))] == 1


@pytest.mark.asyncio
async def test_text_service_errors_are_counted_by_kind(discord_server, start_bot, openai_server, poet):
    openai_server.inject(Fault.UNAUTHORIZED)
    async with start_bot(poet=poet) as bot, HealthServer(bot, host="127.0.0.1", port=0) as health:
        ix = await discord_server.inject_command("poem", {"topic": "la luna"})
        await discord_server.wait_for_reply(ix, lambda r: r.ephemeral and r.content)
        _, text = await _get(health, "/metrics")
    samples = _samples(text)
    assert samples[("genai_text_service_errors_total", (("kind", "auth_failed"),))] == 1


async def _health_cli(port: int) -> tuple[int, str]:
    import asyncio
    import sys
    from pathlib import Path

    env = {"PATH": "/usr/bin:/bin", "GENAI_METRICS_PORT": str(port), "LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("genai-bot")), "health", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode()


@pytest.mark.asyncio
async def test_genai_bot_health_exits_0_only_when_ready(discord_server, start_bot, tmp_path):
    with WorkerPool(workers=1, timeout_s=5) as pool:
        idle = GenAIBot(settings=Settings(fair_use=NO_LIMITS), pool=pool, load_sampler=lambda: None)
        async with HealthServer(idle, host="127.0.0.1", port=0) as health:
            not_ready = await _health_cli(health.port)
    async with start_bot() as bot, HealthServer(bot, host="127.0.0.1", port=0) as health:
        ready = await _health_cli(health.port)
    nobody = await _health_cli(health.port)  # closed: nothing answers
    assert not_ready[0] == 1 and not_ready[1].startswith("genai-bot: not ready: ")
    assert ready[0] == 0 and '"ready": true' in ready[1]
    assert nobody[0] == 1 and "no answer from http://127.0.0.1:" in nobody[1]


# --- sharded: /readyz and /metrics per shard ---


async def _sharded_bot(server, sampler, tmp_path, shard_ids, pool):
    from bot.client import make_bot
    from tests.fakes.discord_server import GUILD_READY_TIMEOUT_S

    settings = Settings(
        dev_guild_id=server.guild_id,
        fair_use=NO_LIMITS,
        workers=1,
        data_dir=tmp_path / "data",
        training_dir=tmp_path / "runs",
        shard_count=2,
        shard_ids=shard_ids,
    )
    return make_bot(
        settings, pool=pool, load_sampler=lambda: sampler, guild_ready_timeout=GUILD_READY_TIMEOUT_S
    )


def _json(response: tuple[int, str]) -> tuple[int, dict]:
    import json

    return response[0], json.loads(response[1])


async def _until_ready(health: HealthServer, timeout: float = 30.0) -> tuple[int, dict]:  # noqa: ASYNC109
    import asyncio
    import time

    start = time.monotonic()
    while True:
        status, body = _json(await _get(health, "/readyz"))
        if status == 200 or time.monotonic() - start > timeout:
            return status, body
        await asyncio.sleep(0.1)


@pytest.mark.asyncio
async def test_readyz_and_metrics_report_each_shard_and_a_dropped_shard_makes_it_503(sampler, tmp_path):
    import asyncio

    from tests.fakes.discord_server import DiscordStandIn, run_bot

    async with DiscordStandIn(shard_count=2) as server:
        server.world.move_guild_to_shard(server.world.guild, 0, 2)
        server.add_guild("Segundo", on_shard=(1, 2))
        with WorkerPool(workers=1, timeout_s=30) as pool:
            bot = await _sharded_bot(server, sampler, tmp_path, (0, 1), pool)
            async with HealthServer(bot, host="127.0.0.1", port=0) as health:
                before = _json(await _get(health, "/readyz"))
                async with run_bot(bot, server, ready_timeout=30):
                    await server.wait_until_connected()
                    ready = await _until_ready(health)
                    _, text = await _get(health, "/metrics")
                    up = _samples(text)

                    # Shard 1's websocket drops: what /readyz serves at that moment.
                    dropped = asyncio.get_running_loop().create_future()

                    async def on_shard_disconnect(shard_id: int) -> None:
                        if not dropped.done():
                            dropped.set_result((shard_id, bot.readiness(), bot.gateway.states()))

                    bot.add_listener(on_shard_disconnect)
                    session = next(s for s in server.sessions if s.shard == (1, 2) and not s.closed)
                    await session.close()
                    shard_id, checks, states = await asyncio.wait_for(dropped, 15)
                    bot.remove_listener(on_shard_disconnect)
                    _, text = await _get(health, "/metrics")
                    down = _samples(text)
                    back = await _until_ready(health)
    assert before[0] == 503 and before[1]["shards"] == {
        "0": {"connected": False, "latency_s": None},
        "1": {"connected": False, "latency_s": None},
    }
    assert before[1]["shards_connected"] is False
    assert ready[0] == 200, ready
    assert set(ready[1]["shards"]) == {"0", "1"}
    assert all(shard["connected"] for shard in ready[1]["shards"].values())
    assert ready[1]["commands_synced"] is True  # this process holds shard 0: it syncs
    for shard in ("0", "1"):
        assert up[("genai_gateway_connected", (("shard", shard),))] == 1
    assert shard_id == 1 and checks["shards_connected"] is False
    assert states[0].connected and not states[1].connected
    assert down[("genai_gateway_connected", (("shard", "0"),))] == 1
    assert back[0] == 200 and back[1]["shards"]["1"]["connected"] is True  # reconnected itself


@pytest.mark.asyncio
async def test_a_process_holding_only_shard_1_is_ready_without_syncing_and_lists_its_shard(sampler, tmp_path):
    from tests.fakes.discord_server import DiscordStandIn, run_bot

    async with DiscordStandIn(shard_count=2) as server:
        server.world.move_guild_to_shard(server.world.guild, 1, 2)
        with WorkerPool(workers=1, timeout_s=30) as pool:
            bot = await _sharded_bot(server, sampler, tmp_path, (1,), pool)
            async with (
                run_bot(bot, server, ready_timeout=30),
                HealthServer(bot, host="127.0.0.1", port=0) as health,
            ):
                ready = await _until_ready(health)
                _, text = await _get(health, "/metrics")
    samples = _samples(text)
    assert ready[0] == 200, ready
    assert list(ready[1]["shards"]) == ["1"] and ready[1]["shards"]["1"]["connected"]
    assert ready[1]["commands_synced"] is True and not bot.syncs_commands
    assert server.synced_commands(server.guild_id) == []  # the process holding shard 0 syncs
    assert samples[("genai_gateway_connected", (("shard", "1"),))] == 1
    assert ("genai_gateway_connected", (("shard", "0"),)) not in samples
