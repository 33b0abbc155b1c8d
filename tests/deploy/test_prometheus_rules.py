"""The alert rules load, each alert fires on the series it is for (deploy/prometheus/tests), and
every metric the rules and the dashboard query is one the bot exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.ops.gateway_state import ShardState
from bot.ops.metrics import BotMetrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus/rules/genai-bot.yml"
RULE_TESTS = DEPLOY / "prometheus/tests/genai-bot.test.yml"
DASHBOARD = DEPLOY / "grafana/dashboards/genai-bot.json"
# Prometheus' own series, present for every scrape target.
PROMETHEUS_SERIES = {"up"}
METRIC_NAME = re.compile(r"\b((?:genai|discord)_[a-z0-9_]+|up)\b(?!\s*\()")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, (
        "promtool is not installed: `make test` installs it (Debian's prometheus "
        "package, .ci/install-promtool)"
    )
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120)


def test_promtool_accepts_the_rules_and_the_prometheus_config():
    rules = _promtool("check", "rules", str(RULES))
    config = _promtool("check", "config", "--syntax-only", str(DEPLOY / "prometheus/prometheus.yml"))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert config.returncode == 0, config.stdout + config.stderr


def test_each_alert_has_a_promtool_case_and_every_case_passes():
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    tested = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    }
    assert {
        "GenAIBotDown",
        "GenAIBotNotReady",
        "DiscordShardDisconnected",
        "EventLoopLagHigh",
        "QueueFullRefusalsRising",
        "TextServiceErrors",
        "DiscordRateLimited",
    } <= alerts
    assert alerts == tested, f"alerts without a firing case: {sorted(alerts - tested)}"
    result = _promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def _exported_series() -> set[str]:
    """Every series name the bot's /metrics can carry, from its real registry."""
    metrics = BotMetrics()
    metrics.watch(
        workers_busy=lambda: 0,
        in_flight=lambda: 0,
        queue_depths={"model": lambda: 0},
        shards=lambda: {0: ShardState(connected=True, latency_s=0.05)},
    )
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_count", "_sum"),
        "info": ("_info",),
        "gauge": ("",),
    }
    return {
        family.name + suffix
        for family in metrics.registry.collect()
        for suffix in suffixes.get(family.type, ("",))
    }


def _queried_series() -> dict[str, set[str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = {
        f"dashboard panel {panel['title']!r}": target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    }
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            expressions[f"alert {rule['alert']}"] = rule["expr"]
    return {where: set(METRIC_NAME.findall(expr)) for where, expr in expressions.items()}


def test_the_rules_and_the_dashboard_query_only_series_the_bot_exports():
    exported = _exported_series() | PROMETHEUS_SERIES
    assert {
        "genai_event_loop_lag_seconds_bucket",
        "discord_connected",
        "discord_latency",
        "discord_http_responses_total",
        "genai_ready",
    } <= exported
    unknown = {
        where: sorted(names - exported) for where, names in _queried_series().items() if names - exported
    }
    assert not unknown, unknown


@pytest.mark.parametrize("path", sorted((DEPLOY / "grafana/provisioning").rglob("*.yml")))
def test_grafana_provisioning_points_at_the_dashboard_and_the_prometheus_service(path):
    provisioning = yaml.safe_load(path.read_text())
    dashboard = json.loads(DASHBOARD.read_text())
    if "datasources" in provisioning:
        (source,) = provisioning["datasources"]
        assert source["url"] == "http://prometheus:9090"
        used = {panel["datasource"]["uid"] for panel in dashboard["panels"] if "datasource" in panel}
        assert used == {source["uid"]}
    else:
        (provider,) = provisioning["providers"]
        assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
