"""Discord's per-route rate limits, as the stand-in applies them.

Discord counts requests per bucket: a route plus its major parameter (one channel, one
interaction webhook). Each answer says where the bucket stands (`X-RateLimit-Limit`,
`-Remaining`, `-Reset`, `-Reset-After`, `-Bucket`), and a request past the limit gets HTTP 429
with `retry_after` (and `Retry-After`, and `Via`: discord.py treats a 429 without `Via` as a
Cloudflare ban and gives up). discord.py waits out a bucket whose `Remaining` reaches 0 and
retries after a 429, so a bot that edits too fast is slowed down, and a test can count the 429s.

Limits are fixed windows: `limit` requests per `per_s` seconds from the bucket's first request.
Discord does not publish its numbers (they come in the headers); the stand-in uses 5 per 5 s for
a message's edits and a channel's new messages, the figures Discord's documentation gives as
examples.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RouteLimit:
    method: str
    route: str  # the aiohttp route template it applies to, relative to /api/v10
    major: tuple[str, ...]  # the match_info names that make a bucket (one channel, one message)
    limit: int = 5
    per_s: float = 5.0


# The routes a streaming poem, a place in line and a channel post use.
DEFAULT_LIMITS = (
    RouteLimit("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", ("token", "message_id")),
    RouteLimit("POST", "/webhooks/{app_id}/{token}", ("token",)),
    RouteLimit("PATCH", "/channels/{channel_id}/messages/{message_id}", ("channel_id",)),
    RouteLimit("POST", "/channels/{channel_id}/messages", ("channel_id",)),
)


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass
class Verdict:
    """Whether one request may go ahead, and the headers its answer carries."""

    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0


@dataclass
class RateLimiter:
    limits: tuple[RouteLimit, ...] = DEFAULT_LIMITS
    _windows: dict[tuple, _Window] = field(default_factory=dict)

    def check(
        self, method: str, route: str, match_info: dict[str, str], now: float | None = None
    ) -> Verdict | None:
        """Count one request; None when its route has no limit here."""
        rule = next((r for r in self.limits if r.method == method and r.route == route), None)
        if rule is None:
            return None
        now = time.monotonic() if now is None else now
        key = (rule.method, rule.route, *(match_info.get(name, "") for name in rule.major))
        window = self._windows.get(key)
        if window is None or now >= window.started + rule.per_s:
            window = self._windows[key] = _Window(now)
        reset_after = max(0.0, window.started + rule.per_s - now)
        allowed = window.used < rule.limit
        if allowed:
            window.used += 1
        bucket = hashlib.sha1(f"{rule.method} {rule.route}".encode()).hexdigest()[:16]
        headers = {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Remaining": str(rule.limit - window.used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        if not allowed:
            headers |= {
                "Retry-After": str(max(1, round(reset_after))),
                "X-RateLimit-Scope": "user",
                "Via": "1.1 google",
            }
        return Verdict(allowed, headers, reset_after)
