"""`genai-bot health`: ask a running bot's /readyz (the container's HEALTHCHECK runs this).

Standard library only, so a check every 30 s costs a fraction of a second and no model.
"""

from __future__ import annotations

import argparse
import urllib.error
import urllib.request

from bot.cli import CliError, add_command
from bot.settings import Settings

HEALTH_VARIABLES = ("GENAI_METRICS_PORT", "GENAI_METRICS_HOST")
TIMEOUT_S = 4.0


def register(subparsers) -> None:
    health = add_command(
        subparsers, "health", help="exit 0 when the running bot is ready (its /readyz), else 1",
        environment=HEALTH_VARIABLES,
    )  # fmt: skip
    health.set_defaults(handler=handle_health)


def handle_health(args: argparse.Namespace, settings: Settings) -> int:
    if settings.metrics_port is None:
        raise CliError("GENAI_METRICS_PORT is not set, so the bot has no /readyz to ask")
    host = "127.0.0.1" if settings.metrics_host in ("0.0.0.0", "") else settings.metrics_host
    url = f"http://{host}:{settings.metrics_port}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            print(response.read().decode().strip())
            return 0
    except urllib.error.HTTPError as exc:  # 503: alive, not ready; the body says what is missing
        raise CliError(f"not ready: {exc.read().decode().strip()}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(f"no answer from {url}: {reason}") from None
