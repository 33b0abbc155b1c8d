"""FakeOpenAI: an OpenAI-compatible server on 127.0.0.1 for tests and benchmarks.

    from tests.fakes.openai_server import FakeOpenAI, Fault, echo_user_message

    @pytest_asyncio.fixture
    async def openai_server():
        async with FakeOpenAI(api_key="sk-test") as server:   # start() ... close()
            yield server

    config = PoetConfig(base_url=openai_server.base_url, api_key="sk-test", moderation="off")
    openai_server.reply = "Luna de plata,\nnoche callada."    # or echo_user_message
    openai_server.chunk_delay_s = 0.05                          # pace the stream
    openai_server.inject(Fault.RATE_LIMITED, retry_after=1)     # next chat request: a 429
    openai_server.inject(Fault.UNAVAILABLE, endpoint="moderations")
    openai_server.chat_requests[-1].body["messages"]            # what the client sent

Serves the two endpoints the product calls: `POST /v1/chat/completions` (SSE streaming with a
final usage chunk, or one JSON reply) and `POST /v1/moderations` (flags any input containing
`flag_marker`, "FLAGME" by default). Every request body is validated against OpenAI's OpenAPI
schema: a violation is answered with a 400 *and* recorded, and `close()` (so `async with`) then
fails with AssertionError, so a test whose client sends a malformed request fails even if it
expected an error anyway.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.openai_schema import validator

DEFAULT_REPLY = "Luna de plata,\nnoche callada:\nel mar la guarda."
DEFAULT_FLAG_MARKER = "FLAGME"
DEFAULT_MODERATION_MODEL = "omni-moderation-latest"
MODERATION_CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
    "sexual/minors", "violence", "violence/graphic",
)  # fmt: skip
_TOKEN = re.compile(r"\S+\s*|\s+")  # a "token" here is a word with its trailing space
_SUBWORD = re.compile(r"\S{1,3}\s*|\s+")  # subword_tokens: up to 3 characters of a word

Reply = str | Callable[[dict[str, Any]], str]


class Fault(enum.Enum):
    """Something to go wrong with the next request(s); see `FakeOpenAI.inject`."""

    RATE_LIMITED = "rate_limited"  # 429 with Retry-After
    QUOTA_EXHAUSTED = "quota_exhausted"  # 429 insufficient_quota, no Retry-After
    SERVER_ERROR = "server_error"  # 500
    UNAVAILABLE = "unavailable"  # 503
    UNAUTHORIZED = "unauthorized"  # 401, echoing the key it was given, as careless servers do
    MODEL_NOT_FOUND = "model_not_found"  # 404
    SLOW_FIRST_BYTE = "slow_first_byte"  # nothing at all for `slow_first_byte_s`
    DISCONNECT = "disconnect"  # half the reply, then the connection is dropped
    MALFORMED_SSE = "malformed_sse"  # a `data:` event that is not JSON, mid-reply
    ERROR_EVENT = "error_event"  # a `data: {"error": …}` event mid-reply, as OpenAI sends
    TRUNCATED_STREAM = "truncated_stream"  # half the reply, a clean end, no finish_reason
    CONTENT_FILTER = "content_filter"  # finish_reason "content_filter" after part of the reply


_STATUS_FAULTS = {
    Fault.RATE_LIMITED: (429, "rate_limit_exceeded", "Rate limit reached; please slow down."),
    Fault.QUOTA_EXHAUSTED: (429, "insufficient_quota", "You exceeded your current quota."),
    Fault.SERVER_ERROR: (500, "server_error", "The server had an error."),
    Fault.UNAVAILABLE: (503, "service_unavailable", "The server is overloaded."),
}


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the server saw it (`body` is the parsed JSON, or None)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def api_key(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


@dataclass
class _Injection:
    fault: Fault
    remaining: int
    endpoint: str
    retry_after: float | None


def echo_user_message(body: dict[str, Any]) -> str:
    """A `reply` that repeats the last user message: shows exactly what the model was given."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1]["content"] if users else ""
    return content if isinstance(content, str) else json.dumps(content)


@dataclass(eq=False)
class FakeOpenAI:
    """An OpenAI-compatible chat server on a random loopback port. Knobs can change any time.

    reply:            the assistant's text, or a function of the request body giving it
    chunk_delay_s:    pause before each streamed piece
    moderation_delay_s: how long each moderation answer takes (a remote endpoint's latency)
    models:           models that exist (None: any model name is accepted)
    api_key:          if set, requests with another key get a 401
    flag_marker:      moderation flags inputs containing it (case-insensitive)
    llama_cpp:        behave like the llama.cpp server: ignore max_completion_tokens and
                      stream_options.include_usage, and have no /v1/moderations
    reject_max_tokens: behave like OpenAI's reasoning models: 400 when max_tokens is sent
    slow_first_byte_s: how long Fault.SLOW_FIRST_BYTE keeps the client waiting
    The behaviours of real local servers (llama-cpp-python 0.3's), as fault modes:
    interrupt_requests: a new chat request ends every running stream with `data: [DONE]` and
                      no finish reason (llama-cpp-python's default `--interrupt_requests`)
    ignore_token_limit: stream the whole reply whatever token limit the request sets (a
                      runaway generation; `llama_cpp` ignores only max_completion_tokens)
    drop_system_message: the model never sees system messages (llama-cpp-python's
                      `--chat_format gemma`): `reply` callables and prompt_tokens go without them
    subword_tokens:   tokens are pieces of up to 3 characters, not words, so a token limit
                      stops the reply mid-word ("Aha", "it'") as real tokenizers do
    `peak_streams` is the most chat streams that were open at once.
    """

    reply: Reply = DEFAULT_REPLY
    chunk_delay_s: float = 0.0
    moderation_delay_s: float = 0.0
    models: tuple[str, ...] | None = None
    api_key: str | None = None
    flag_marker: str = DEFAULT_FLAG_MARKER
    llama_cpp: bool = False
    reject_max_tokens: bool = False
    slow_first_byte_s: float = 5.0
    interrupt_requests: bool = False
    ignore_token_limit: bool = False
    drop_system_message: bool = False
    subword_tokens: bool = False
    requests: list[ReceivedRequest] = field(default_factory=list, init=False)
    peak_streams: int = field(default=0, init=False)
    interrupted_streams: int = field(default=0, init=False)
    schema_violations: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._injections: list[_Injection] = []
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._ids = itertools.count(1)
        self._port: int | None = None
        self._open_streams: set[asyncio.Event] = set()  # each stream's "interrupted" flag

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> FakeOpenAI:
        """Listen on 127.0.0.1 (a free port); returns self."""
        for name in ("CreateChatCompletionRequest", "CreateModerationRequest"):
            validator(name)  # load the schemas now: a broken schemas file fails here, loudly
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/moderations", self._moderations)
        # handler_cancellation: a client that gives up (a timeout test) ends its handler.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def close(self, *, check_requests: bool = True) -> None:
        """Stop serving. Raises AssertionError if any request broke the OpenAPI schema."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if check_requests and self.schema_violations:
            raise AssertionError(
                "requests broke OpenAI's OpenAPI schema:\n" + "\n".join(self.schema_violations)
            )

    async def __aenter__(self) -> FakeOpenAI:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close(check_requests=exc_type is None)  # don't hide the test's own error

    @property
    def base_url(self) -> str:
        """What to give the openai client (or OPENAI_BASE_URL): http://127.0.0.1:PORT/v1."""
        if self._port is None:
            raise RuntimeError("FakeOpenAI is not started")
        return f"http://127.0.0.1:{self._port}/v1"

    # ---- scripting ---------------------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        times: int = 1,
        endpoint: str = "chat",
        retry_after: float | None = 1.0,
    ) -> None:
        """Make the next `times` requests to `endpoint` ("chat", "moderations") suffer `fault`.

        `retry_after` (seconds) is sent as Retry-After with RATE_LIMITED (None: no header).
        Faults queue up in the order injected.
        """
        if endpoint not in ("chat", "moderations"):
            raise ValueError(f"unknown endpoint {endpoint!r}")
        self._injections.append(_Injection(fault, times, endpoint, retry_after))

    @property
    def chat_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    @property
    def moderation_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path == "/v1/moderations"]

    def _take_fault(self, endpoint: str) -> _Injection | None:
        for injection in self._injections:
            if injection.endpoint == endpoint:
                injection.remaining -= 1
                if injection.remaining <= 0:
                    self._injections.remove(injection)
                return injection
        return None

    # ---- handlers ------------------------------------------------------------------------

    async def _receive(self, request: web.Request, schema: str) -> tuple[Any, web.Response | None]:
        """Record the request; validate its body. Returns (body, error response or None)."""
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.requests.append(ReceivedRequest(request.method, request.path, dict(request.headers), body))
        problems = validator(schema).errors(body) if body is not None else ["body is not JSON"]
        if problems:
            self.schema_violations += [f"{request.path}: {p}" for p in problems]
            return body, _error(400, "invalid_request_error", "; ".join(problems), None)
        return body, None

    async def _refusal(
        self, request: web.Request, injection: _Injection | None, model: str | None
    ) -> web.StreamResponse | None:
        """The error response this request gets (auth, model, injected status), if any."""
        fault = injection.fault if injection else None
        key = ReceivedRequest("", "", dict(request.headers), None).api_key
        if fault is Fault.UNAUTHORIZED or (self.api_key is not None and key != self.api_key):
            return _error(
                401, "invalid_request_error", f"Incorrect API key provided: {key}.", "invalid_api_key"
            )
        if fault is Fault.MODEL_NOT_FOUND or (
            model is not None and self.models is not None and model not in self.models
        ):
            return _error(
                404,
                "invalid_request_error",
                f"The model `{model}` does not exist or you do not have access to it.",
                "model_not_found",
            )
        if fault in _STATUS_FAULTS:
            status, code, message = _STATUS_FAULTS[fault]
            response = _error(status, code, message, code)
            if fault is Fault.RATE_LIMITED and injection.retry_after is not None:
                response.headers["Retry-After"] = f"{injection.retry_after:g}"
            return response
        if fault is Fault.SLOW_FIRST_BYTE:
            await self._pause(self.slow_first_byte_s)
        return None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body, invalid = await self._receive(request, "CreateChatCompletionRequest")
        if invalid is not None:
            return invalid
        if self.interrupt_requests:
            for interrupted in self._open_streams:
                interrupted.set()
        injection = self._take_fault("chat")
        refusal = await self._refusal(request, injection, body.get("model"))
        if refusal is not None:
            return refusal
        if self.reject_max_tokens and body.get("max_tokens") is not None:
            return _error(
                400,
                "invalid_request_error",
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                "unsupported_parameter",
            )
        pieces, finish_reason = self._reply_pieces(body)
        fault = injection.fault if injection else None
        if body.get("stream"):
            return await self._stream(request, body, pieces, finish_reason, fault)
        if fault is Fault.DISCONNECT:
            request.transport.abort()
            return web.Response()
        text = "".join(pieces)
        return web.json_response(
            self._envelope(body, "chat.completion")
            | {
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": self._usage(body, pieces),
            }
        )

    def _model_view(self, body: dict[str, Any]) -> dict[str, Any]:
        """The request as the model sees it: without system messages when the server drops them."""
        if not self.drop_system_message:
            return body
        messages = [m for m in body.get("messages", []) if m.get("role") not in ("system", "developer")]
        return body | {"messages": messages}

    def _tokens(self, text: str) -> list[str]:
        if self.subword_tokens:
            return _SUBWORD.findall(text)
        return _TOKEN.findall(text)

    def _reply_pieces(self, body: dict[str, Any]) -> tuple[list[str], str]:
        seen = self._model_view(body)
        text = self.reply(seen) if callable(self.reply) else self.reply
        pieces = self._tokens(text)
        limit = body.get("max_tokens")
        if not self.llama_cpp:  # llama.cpp knows only max_tokens
            limit = body.get("max_completion_tokens") or limit
        if self.ignore_token_limit:
            limit = None
        if limit is not None and len(pieces) > limit:
            return pieces[:limit], "length"
        return pieces, "stop"

    async def _stream(
        self,
        request: web.Request,
        body: dict[str, Any],
        pieces: list[str],
        finish_reason: str,
        fault: Fault | None,
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        include_usage = include_usage and not self.llama_cpp
        envelope = self._envelope(body, "chat.completion.chunk")
        if include_usage:
            envelope["usage"] = None  # as OpenAI does on every chunk but the last

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            await _send_event(response, envelope | {"choices": [choice]})

        interrupted = asyncio.Event()
        self._open_streams.add(interrupted)
        self.peak_streams = max(self.peak_streams, len(self._open_streams))
        try:
            await send({"role": "assistant", "content": ""})
            halfway = len(pieces) // 2
            for position, piece in enumerate(pieces):
                if position == halfway and fault is not None:
                    if fault is Fault.DISCONNECT:
                        request.transport.abort()
                        return response
                    if fault is Fault.TRUNCATED_STREAM:
                        await response.write_eof()
                        return response
                    if fault is Fault.MALFORMED_SSE:
                        await response.write(b'data: {"id": "chatcmpl-broken", "choices": [\n\n')
                    if fault is Fault.ERROR_EVENT:
                        error = {"message": "The server had an error.", "type": "server_error"}
                        await _send_event(response, {"error": error})
                    if fault is Fault.CONTENT_FILTER:
                        finish_reason = "content_filter"
                        break
                if self.chunk_delay_s:
                    await asyncio.sleep(self.chunk_delay_s)
                if interrupted.is_set():  # as llama-cpp-python does: [DONE], no finish reason
                    self.interrupted_streams += 1
                    await response.write(b"data: [DONE]\n\n")
                    await response.write_eof()
                    return response
                await send({"content": piece})
            await send({}, finish_reason)
            if include_usage:
                usage = self._usage(body, pieces)
                await _send_event(response, envelope | {"choices": [], "usage": usage})
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        finally:
            self._open_streams.discard(interrupted)

    async def _moderations(self, request: web.Request) -> web.StreamResponse:
        if self.llama_cpp:  # no such endpoint there
            return _error(404, "invalid_request_error", "File Not Found", None)
        body, invalid = await self._receive(request, "CreateModerationRequest")
        if invalid is not None:
            return invalid
        refusal = await self._refusal(request, self._take_fault("moderations"), None)
        if refusal is not None:
            return refusal
        if self.moderation_delay_s:
            await asyncio.sleep(self.moderation_delay_s)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        texts = [item if isinstance(item, str) else item.get("text", "") for item in inputs]
        return web.json_response(
            {
                "id": f"modr-fake-{next(self._ids)}",
                "model": body.get("model") or DEFAULT_MODERATION_MODEL,
                "results": [self._moderation_result(text) for text in texts],
            }
        )

    def _moderation_result(self, text: str) -> dict[str, Any]:
        flagged = self.flag_marker.lower() in text.lower()
        categories = dict.fromkeys(MODERATION_CATEGORIES, False)
        categories["violence"] = flagged
        return {
            "flagged": flagged,
            "categories": categories,
            "category_scores": {name: 0.9 if on else 0.001 for name, on in categories.items()},
            "category_applied_input_types": {name: ["text"] for name in MODERATION_CATEGORIES},
        }

    # ---- helpers ---------------------------------------------------------------------------

    def _envelope(self, body: dict[str, Any], kind: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": kind,
            "created": int(time.time()),
            "model": body.get("model", ""),
            "system_fingerprint": None,
        }

    def _usage(self, body: dict[str, Any], pieces: list[str]) -> dict[str, int]:
        prompt = sum(
            len(self._tokens(m["content"]))
            for m in self._model_view(body).get("messages", [])
            if isinstance(m.get("content"), str)
        )
        return {
            "prompt_tokens": prompt,
            "completion_tokens": len(pieces),
            "total_tokens": prompt + len(pieces),
        }

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server closes."""
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass


async def _send_event(response: web.StreamResponse, payload: dict[str, Any]) -> None:
    await response.write(b"data: " + json.dumps(payload).encode() + b"\n\n")


def _error(status: int, kind: str, message: str, code: str | None) -> web.Response:
    """An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""
    error = {"message": message, "type": kind, "param": None, "code": code}
    return web.json_response({"error": error}, status=status)
