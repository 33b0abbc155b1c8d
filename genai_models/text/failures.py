"""Failures of the chat server, turned into GenAIErrors a user can be shown.

The messages are ours (the catalogue's text for each code), never the server's: a server may
echo the API key back ("Incorrect API key provided: sk-…"), and its wording means nothing to a
Discord user anyway. What the server said goes to the operator's log instead, with the key cut
out, after `operator_hint`'s one line: what failed, at which URL or model, and what to check.
"""

from __future__ import annotations

import email.utils
import errno
import math
import socket
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
from genai_models.text.config import DEFAULT_MODEL

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


def connection_failure(exc: BaseException) -> Literal["refused", "unknown_host"] | None:
    """Why a connection could not be made, where that is a setting to fix rather than a blip:
    nothing listens on the port, or the host name does not resolve. None for anything else
    (timeouts, resets), which is worth retrying."""
    if isinstance(exc, openai.APITimeoutError) or not isinstance(exc, openai.APIConnectionError):
        return None
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:  # httpx wraps httpcore wraps the OSError
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "refused"
        if isinstance(cause, socket.gaierror):
            return "unknown_host"
        cause = cause.__cause__ or cause.__context__
    return None


def operator_hint(exc: BaseException, *, base_url: str, model: str) -> str | None:
    """One line for the operator (the CLI prints it, the bot logs it): what failed, at which
    URL or model, and which setting to check. None where the error's own text says enough."""
    url = loggable_url(base_url).rstrip("/")
    if isinstance(exc, openai.APITimeoutError):
        return (
            f"{url} did not answer in time: check that the server is not overloaded, or raise OPENAI_TIMEOUT"
        )
    failure = connection_failure(exc)
    if failure == "refused":
        return (
            f"nothing answers at {url} (connection refused): check that the text server is "
            "running and that OPENAI_BASE_URL has its host and port"
        )
    if failure == "unknown_host":
        return f"the host of {url} is unknown: check OPENAI_BASE_URL"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot connect to {url}: check OPENAI_BASE_URL and the network"
    if not isinstance(exc, openai.APIStatusError):
        return None
    status = exc.status_code
    if status == 401:
        return f"{url} refused the API key (401): check OPENAI_API_KEY"
    if status == 403:
        return f"{url} refused the API key access to model '{model}' (403): check OPENAI_API_KEY"
    if status == 404 and is_missing_model(exc, model):
        if model == DEFAULT_MODEL and "api.openai.com" not in url:
            # OPENAI_MODEL left at its default, an OpenAI model, for a server of one's own.
            return (
                f"{url} has no model '{model}' (OPENAI_MODEL's default, an OpenAI model): set "
                f"OPENAI_MODEL to one this server has (GET {url}/models; on Ollama, `ollama list`)"
            )
        return (
            f"{url} has no model '{model}': check OPENAI_MODEL against the server's list "
            f"(GET {url}/models; on Ollama, `ollama pull {model}`)"
        )
    if status == 404:
        if not url.endswith("/v1"):
            return (
                f"{url}/chat/completions does not exist (404): OPENAI_BASE_URL usually ends "
                f"in /v1, e.g. {url}/v1"
            )
        return (
            f"{url}/chat/completions does not exist (404): check that OPENAI_BASE_URL is the "
            "server's OpenAI-compatible address"
        )
    return None


def is_missing_model(exc: openai.APIStatusError, model: str) -> bool:
    """Whether a 404 is about the model (OpenAI's code, or the server naming the model: Ollama
    "model \"x\" not found", vLLM "The model `x` does not exist") rather than the address: a
    wrong path gets a bare "404 page not found" or "Not Found"."""
    message = getattr(exc, "message", None) or str(exc)
    return exc.code == "model_not_found" or (bool(model) and model in message)


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


def to_genai_error(exc: BaseException, *, phase: Phase, model: str = "") -> GenAIError:
    """The user-facing error for anything the openai client (or a garbled stream) raised;
    `model` (the one asked for) tells a missing model from a wrong address in a 404."""
    if isinstance(exc, GenAIError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return ServiceUnavailableError(code="timeout")
    if isinstance(exc, openai.APIConnectionError):
        if phase == "stream":
            return stream_broken()
        return ServiceUnavailableError(code="unreachable")
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, model)
    if isinstance(exc, openai.APIError):  # an error event inside the stream
        return ServiceUnavailableError(code="stream_error")
    if isinstance(exc, ValueError):  # undecodable JSON in an SSE event, or a malformed chunk
        return ServiceUnavailableError(code="bad_reply")
    return ServiceError(code="service_error")


def stream_broken() -> ServiceUnavailableError:
    """The reply stopped before the server said the poem was finished."""
    return ServiceUnavailableError(code="stream_broken")


def _status_error(exc: openai.APIStatusError, model: str) -> GenAIError:
    status = exc.status_code
    if status in (401, 403):
        return AuthenticationError()
    if status == 404 and is_missing_model(exc, model):
        return ModelNotFoundError()
    if status == 404:  # no chat endpoint at all: OPENAI_BASE_URL is wrong (most often, no /v1)
        return ServiceError(code="endpoint_not_found")
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
