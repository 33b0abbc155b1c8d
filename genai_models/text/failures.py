"""Failures of the chat server, turned into GenAIErrors a user can be shown.

The messages are ours (the catalogue's text for each code), never the server's: a server may
echo the API key back ("Incorrect API key provided: sk-…"), and its wording means nothing to a
Discord user anyway. What the server said goes to the operator's log instead, with the key cut
out.
"""

from __future__ import annotations

import email.utils
import math
import time
import urllib.parse
from typing import Literal

import openai

from genai_models.errors import (
    AuthenticationError,
    GenAIError,
    ModelNotFoundError,
    RateLimitedError,
    ServiceError,
    ServiceUnavailableError,
)

# "request": nothing of the reply has arrived yet; "stream": the reply was arriving.
Phase = Literal["request", "stream"]

REDACTED = "<redacted>"


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced (no-op for an empty secret)."""
    if not secret:
        return text
    return text.replace(secret, REDACTED)


def loggable_url(url: str) -> str:
    """`url` without user info, query or fragment: proxies sometimes carry credentials there."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def describe(exc: BaseException, *, secret: str | None) -> str:
    """One log line about a failure: its type, HTTP status, error code and the server's words."""
    parts = [type(exc).__name__]
    if isinstance(exc, openai.APIStatusError):
        parts.append(f"status={exc.status_code}")
        if exc.request_id:
            parts.append(f"request_id={exc.request_id}")
    if isinstance(exc, openai.APIError) and exc.code:
        parts.append(f"code={exc.code}")
    message = getattr(exc, "message", None) or str(exc)
    parts.append(repr(redact(message, secret)[:300]))
    return " ".join(parts)


def to_genai_error(exc: BaseException, *, phase: Phase) -> GenAIError:
    """The user-facing error for anything the openai client (or a garbled stream) raised."""
    if isinstance(exc, GenAIError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return ServiceUnavailableError(code="timeout")
    if isinstance(exc, openai.APIConnectionError):
        if phase == "stream":
            return stream_broken()
        return ServiceUnavailableError(code="unreachable")
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc)
    if isinstance(exc, openai.APIError):  # an error event inside the stream
        return ServiceUnavailableError(code="stream_error")
    if isinstance(exc, ValueError):  # undecodable JSON in an SSE event, or a malformed chunk
        return ServiceUnavailableError(code="bad_reply")
    return ServiceError(code="service_error")


def stream_broken() -> ServiceUnavailableError:
    """The reply stopped before the server said the poem was finished."""
    return ServiceUnavailableError(code="stream_broken")


def _status_error(exc: openai.APIStatusError) -> GenAIError:
    status = exc.status_code
    if status in (401, 403):
        return AuthenticationError()
    if status == 404:
        return ModelNotFoundError()
    retry_after = retry_after_seconds(exc.response.headers)
    if status == 429:
        if exc.code == "insufficient_quota":
            return RateLimitedError(code="quota_exhausted")
        return RateLimitedError(retry_after=retry_after)
    if status >= 500:
        return ServiceUnavailableError(retry_after=retry_after)
    # 400, 422, …: our request did not suit this server (a model or parameter mismatch).
    return ServiceError(code="request_rejected")


def retry_after_seconds(headers) -> float | None:
    """Seconds to wait from `retry-after-ms` / `retry-after` (number or HTTP date), if given."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) / divisor
        except ValueError:
            parsed = email.utils.parsedate_tz(raw)
            if parsed is None:
                continue
            seconds = email.utils.mktime_tz(parsed) - time.time()
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None

