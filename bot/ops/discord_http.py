"""Discord's answers to the bot's REST calls, counted per route and status (429s above all).

discord.py takes an aiohttp TraceConfig (`http_trace`, public API of discord.Client) and hands it
to the session its HTTP client makes, so every request it sends, retries of a rate-limited one
included, passes through `on_request_end` here.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import aiohttp
from prometheus_client import Counter

_API_PREFIX = re.compile(r"^/api/v\d+")
_WORD = re.compile(r"^@?[a-z][a-z0-9_-]{0,31}$")  # channels, messages, @original, callback…


def route_of(path: str) -> str:
    """`/api/v10/channels/123/messages/456` → `/channels/{id}/messages/{id}`.

    Snowflakes become {id} so each route is one series however many channels there are; any
    other segment that is not a lowercase word (interaction and webhook tokens, emoji) becomes
    {param}, so no token ever reaches a label.
    """
    segments = _API_PREFIX.sub("", path).strip("/").split("/")
    named = ["{id}" if s.isdigit() else s if _WORD.match(s) else "{param}" for s in segments if s]
    return "/" + "/".join(named)


def discord_http_trace(counter: Counter) -> aiohttp.TraceConfig:
    """A TraceConfig counting each REST response in `counter` (labels method, route, status);
    a request that got no response at all counts as status "error". The gateway's websocket
    and CDN downloads share the session but are not REST calls: left out."""
    trace = aiohttp.TraceConfig()

    async def on_request_end(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        if _API_PREFIX.match(params.url.path):
            counter.labels(
                method=params.method, route=route_of(params.url.path), status=str(params.response.status)
            ).inc()

    async def on_request_exception(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        if _API_PREFIX.match(params.url.path):
            counter.labels(method=params.method, route=route_of(params.url.path), status="error").inc()

    trace.on_request_end.append(on_request_end)
    trace.on_request_exception.append(on_request_exception)
    return trace
