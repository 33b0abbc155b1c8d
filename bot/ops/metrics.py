"""The bot's Prometheus metrics, in a registry of its own (several bots in one test process
must not share counters), exposed by bot.ops.health on /metrics."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily

if TYPE_CHECKING:
    from bot.ops.gateway_state import ShardState

# Seconds the event loop ran late: a few ms is normal, 0.25 s is the alert (users and heartbeats
# notice), seconds mean something blocks the loop.
LOOP_LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Seconds: a quick digit grid is well under one, a morph or a poem a few, a stuck call the
# command timeout (60 s by default).
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)


class BotMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "genai_commands", "Commands and button presses handled, by command and outcome",
            ["command", "outcome"], registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "genai_command_duration_seconds", "From the interaction's arrival to its last reply",
            ["command"], buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.refusals = Counter(
            "genai_cooldown_refusals", "Requests refused by fair use (cooldown, too many jobs, queue full)",
            ["command", "reason"], registry=r,
        )  # fmt: skip
        self.text_errors = Counter(
            "genai_text_service_errors", "Text-service failures users saw, by kind", ["kind"], registry=r
        )
        self.queue_depth = Gauge(
            "genai_queue_depth", "Jobs waiting for a slot, by resource", ["resource"], registry=r
        )
        self.workers_busy = Gauge(
            "genai_worker_threads_busy", "Worker-pool threads running a job", registry=r
        )
        self.in_flight = Gauge("genai_interactions_in_flight", "Interactions being worked on", registry=r)
        self.model = Info("genai_model", "The digit model being served", registry=r)
        self.ready = Gauge(
            "genai_ready", "1 while /readyz answers 200 (logged in, synced, models loaded), else 0",
            registry=r,
        )  # fmt: skip
        self.loop_lag = Histogram(
            "genai_event_loop_lag_seconds", "How much later than asked the event loop ran a timer",
            buckets=LOOP_LAG_BUCKETS, registry=r,
        )  # fmt: skip
        self.discord_http = Counter(
            "discord_http_responses", "Discord's answers to the bot's REST calls, by route and status",
            ["method", "route", "status"], registry=r,
        )  # fmt: skip

    def discord_http_trace(self):
        """The aiohttp TraceConfig that feeds `discord_http`: pass it as discord.Client's
        `http_trace`."""
        from bot.ops.discord_http import discord_http_trace

        return discord_http_trace(self.discord_http)

    def watch(
        self,
        *,
        workers_busy: Callable[[], float],
        in_flight: Callable[[], float],
        shards: Callable[[], Mapping[int, ShardState]],
        queue_depths: dict[str, Callable[[], float]],
    ) -> None:
        """Gauges read at scrape time, from the objects that know the values."""
        self.workers_busy.set_function(workers_busy)
        self.in_flight.set_function(in_flight)
        self.registry.register(ShardCollector(shards))
        for resource, depth in queue_depths.items():
            self.queue_depth.labels(resource=resource).set_function(depth)


class ShardCollector:
    """Per shard this process holds (a `shard` label): gateway latency and connection state.

    A custom collector (prometheus_client's public Collector protocol) because the shards are
    known only once the bot has logged in, and are read afresh at each scrape. Each is exported
    twice: as genai_gateway_* and as discord_latency / discord_connected, the names that
    discord-ext-prometheus and the Grafana dashboards made for it use (seconds, 1/0)."""

    def __init__(self, shards: Callable[[], Mapping[int, ShardState]]) -> None:
        self._shards = shards

    def collect(self):
        latency = GaugeMetricFamily(
            "genai_gateway_latency_seconds",
            "Discord gateway heartbeat latency, per shard (NaN while disconnected)",
            labels=["shard"],
        )
        connected = GaugeMetricFamily(
            "genai_gateway_connected", "1 while the shard's gateway session is up, else 0", labels=["shard"]
        )
        ecosystem_latency = GaugeMetricFamily(
            "discord_latency", "Latency to Discord (seconds), per shard", labels=["shard"]
        )
        ecosystem_connected = GaugeMetricFamily(
            "discord_connected", "Whether the shard is connected to Discord", labels=["shard"]
        )
        for shard_id, state in self._shards().items():
            label = [str(shard_id)]
            value = state.latency_s if state.latency_s is not None else math.nan
            up = 1.0 if state.connected else 0.0
            latency.add_metric(label, value)
            connected.add_metric(label, up)
            ecosystem_latency.add_metric(label, value)
            ecosystem_connected.add_metric(label, up)
        yield from (latency, connected, ecosystem_latency, ecosystem_connected)
