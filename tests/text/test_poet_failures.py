"""Each way the chat server can fail becomes a GenAIError with a message a user can read."""

from __future__ import annotations

import socket
import time

import pytest

from genai_models.errors import (
    AuthenticationError,
    ContentFlaggedError,
    ModelNotFoundError,
    RateLimitedError,
    ServiceError,
    ServiceUnavailableError,
)
from genai_models.text import PoemRequest, Poet, PoetConfig
from tests.fakes.openai_server import Fault

LUNA = PoemRequest(topic="la luna")
LONG_REPLY = " ".join(f"verso{i}" for i in range(20))


@pytest.mark.asyncio
async def test_rate_limit_says_when_to_try_again(openai_server, poet):
    openai_server.inject(Fault.RATE_LIMITED, retry_after=20)

    with pytest.raises(RateLimitedError) as caught:
        await poet.write(LUNA).final()

    assert str(caught.value) == "The text service is busy; try again in about 20 s."
    assert caught.value.retry_after == 20
    assert caught.value.code == "rate_limited"


@pytest.mark.asyncio
async def test_rate_limit_without_retry_after_still_says_busy(openai_server, poet):
    openai_server.inject(Fault.RATE_LIMITED, retry_after=None)

    with pytest.raises(RateLimitedError, match="busy; try again in a minute") as caught:
        await poet.write(LUNA).final()

    assert caught.value.retry_after is None


@pytest.mark.asyncio
async def test_retry_waits_as_long_as_retry_after_says_then_succeeds(openai_server, make_poet):
    openai_server.inject(Fault.RATE_LIMITED, retry_after=1)
    poet = make_poet(max_retries=1)
    started = time.perf_counter()

    poem = await poet.write(LUNA).final()

    assert time.perf_counter() - started >= 0.95
    assert poem.text == openai_server.reply
    assert len(openai_server.chat_requests) == 2


@pytest.mark.asyncio
async def test_rate_limit_outlasting_the_retries_is_reported(openai_server, make_poet):
    openai_server.inject(Fault.RATE_LIMITED, times=2, retry_after=1)

    with pytest.raises(RateLimitedError, match="about 1 s"):
        await make_poet(max_retries=1).write(LUNA).final()

    assert len(openai_server.chat_requests) == 2


@pytest.mark.asyncio
async def test_exhausted_quota_asks_for_the_operator(openai_server, poet):
    openai_server.inject(Fault.QUOTA_EXHAUSTED)

    with pytest.raises(RateLimitedError, match="quota; please tell the bot's operator") as caught:
        await poet.write(LUNA).final()

    assert caught.value.code == "quota_exhausted"


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.UNAVAILABLE], ids=["500", "503"])
async def test_server_errors_say_the_service_is_having_trouble(openai_server, poet, fault):
    openai_server.inject(fault)

    with pytest.raises(ServiceUnavailableError) as caught:
        await poet.write(LUNA).final()

    assert str(caught.value) == ("The text service is having trouble right now; try again in a few minutes.")


@pytest.mark.asyncio
async def test_server_error_is_retried_before_giving_up(openai_server, make_poet):
    openai_server.inject(Fault.SERVER_ERROR)

    poem = await make_poet(max_retries=1).write(LUNA).final()

    assert poem.text == openai_server.reply
    assert len(openai_server.chat_requests) == 2


@pytest.mark.asyncio
async def test_disconnect_mid_stream_keeps_the_pieces_and_reports_a_broken_poem(openai_server, poet):
    openai_server.reply = LONG_REPLY
    openai_server.inject(Fault.DISCONNECT)
    stream = poet.write(LUNA)
    pieces = []

    with pytest.raises(ServiceUnavailableError, match="broke off mid-poem") as caught:
        async for piece in stream:
            pieces.append(piece)

    assert 0 < len(pieces) < len(LONG_REPLY.split())
    assert caught.value.code == "stream_broken"


@pytest.mark.asyncio
async def test_stream_ending_without_a_finish_reason_is_a_broken_poem(openai_server, poet, caplog):
    openai_server.reply = LONG_REPLY
    openai_server.inject(Fault.TRUNCATED_STREAM)

    with pytest.raises(ServiceUnavailableError, match="broke off mid-poem"):
        await poet.write(LUNA).final()
    # A truncated stream is a server problem an operator must see, not an INFO line.
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and r.name.startswith("genai_models")]
    assert any("without a finish reason" in r.getMessage() for r in warnings)


@pytest.mark.asyncio
async def test_malformed_sse_says_the_reply_could_not_be_read(openai_server, poet):
    openai_server.reply = LONG_REPLY
    openai_server.inject(Fault.MALFORMED_SSE)

    with pytest.raises(ServiceUnavailableError, match="couldn't be read") as caught:
        await poet.write(LUNA).final()

    assert caught.value.code == "bad_reply"


@pytest.mark.asyncio
async def test_error_event_mid_stream_says_the_service_failed(openai_server, poet):
    openai_server.reply = LONG_REPLY
    openai_server.inject(Fault.ERROR_EVENT)

    with pytest.raises(ServiceUnavailableError, match="failed while writing") as caught:
        await poet.write(LUNA).final()

    assert caught.value.code == "stream_error"


@pytest.mark.asyncio
async def test_content_filter_finish_is_a_polite_refusal(openai_server, poet):
    openai_server.reply = LONG_REPLY
    openai_server.inject(Fault.CONTENT_FILTER)

    with pytest.raises(ContentFlaggedError, match="won't share it") as caught:
        await poet.write(LUNA).final()

    assert caught.value.stage == "output"


@pytest.mark.asyncio
async def test_unauthorized_asks_for_the_operator(openai_server, poet):
    openai_server.inject(Fault.UNAUTHORIZED)

    with pytest.raises(AuthenticationError) as caught:
        await poet.write(LUNA).final()

    assert str(caught.value) == (
        "The text service refused the bot's credentials; please tell the bot's operator."
    )


@pytest.mark.asyncio
async def test_wrong_key_is_refused_as_unauthorized(make_poet):
    with pytest.raises(AuthenticationError):
        await make_poet(api_key="sk-wrong").write(LUNA).final()


@pytest.mark.asyncio
async def test_unknown_model_says_the_model_is_not_available(openai_server, make_poet):
    openai_server.models = ("gpt-4.1-mini",)

    with pytest.raises(ModelNotFoundError, match="model this bot is set up to use"):
        await make_poet(model="gpt-does-not-exist").write(LUNA).final()


@pytest.mark.asyncio
async def test_refused_connection_says_the_service_cannot_be_reached():
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = PoetConfig(base_url=f"http://127.0.0.1:{port}/v1", max_retries=0, timeout_s=2.0)

    async with Poet(config=config) as poet:
        with pytest.raises(ServiceUnavailableError, match="can't be reached") as caught:
            await poet.write(LUNA).final()

    assert caught.value.code == "unreachable"


@pytest.mark.asyncio
async def test_final_raises_the_same_error_again_after_iteration_failed(openai_server, poet):
    openai_server.inject(Fault.UNAVAILABLE)
    stream = poet.write(LUNA)

    with pytest.raises(ServiceUnavailableError) as during_iteration:
        async for _ in stream:
            pass
    with pytest.raises(ServiceUnavailableError) as from_final:
        await stream.final()

    assert from_final.value is during_iteration.value


# --- the operator's line: which URL or model, and what to check ---


def _closed_port() -> int:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.asyncio
async def test_a_closed_port_fails_at_once_naming_the_url_without_retrying():
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    progress = []
    async with Poet(config=PoetConfig(base_url=url, max_retries=2, timeout_s=2.0)) as poet:
        with pytest.raises(ServiceUnavailableError) as caught:
            await poet.write(LUNA, on_progress=progress.append).final()

    assert caught.value.code == "unreachable"
    assert caught.value.operator_hint == (
        f"nothing answers at {url} (connection refused): check that the text server is running "
        "and that OPENAI_BASE_URL has its host and port"
    )
    assert not [p for p in progress if type(p).__name__ == "Retrying"]  # no "busy, retrying…"


@pytest.mark.asyncio
async def test_a_base_url_without_v1_says_to_add_it(openai_server, make_poet):
    without_v1 = openai_server.base_url.removesuffix("/v1")

    with pytest.raises(ServiceError) as caught:
        await make_poet(base_url=without_v1).write(LUNA).final()

    assert caught.value.code == "endpoint_not_found"
    assert str(caught.value) == "The text service isn't set up correctly; please tell the bot's operator."
    assert caught.value.operator_hint == (
        f"{without_v1}/chat/completions does not exist (404): OPENAI_BASE_URL usually ends in /v1, "
        f"e.g. {without_v1}/v1"
    )


@pytest.mark.asyncio
async def test_an_unknown_model_is_named_with_where_to_check(openai_server, make_poet):
    openai_server.models = ("gpt-4.1-mini",)

    with pytest.raises(ModelNotFoundError) as caught:
        await make_poet(model="llama3.2").write(LUNA).final()

    url = openai_server.base_url
    assert caught.value.operator_hint == (
        f"{url} has no model 'llama3.2': check OPENAI_MODEL against the server's list "
        f"(GET {url}/models; on Ollama, `ollama pull llama3.2`)"
    )


@pytest.mark.asyncio
async def test_a_local_server_asked_for_the_default_openai_model_says_to_set_openai_model(
    openai_server, make_poet
):
    openai_server.models = ("llama3.2",)  # an Ollama, say, with OPENAI_MODEL never set

    with pytest.raises(ModelNotFoundError) as caught:
        await make_poet(model="gpt-4.1-mini").write(LUNA).final()

    url = openai_server.base_url
    assert caught.value.operator_hint == (
        f"{url} has no model 'gpt-4.1-mini' (OPENAI_MODEL's default, an OpenAI model): set "
        f"OPENAI_MODEL to one this server has (GET {url}/models; on Ollama, `ollama list`)"
    )


@pytest.mark.asyncio
async def test_a_401_names_the_url_and_the_key_setting_never_the_key(openai_server, make_poet, caplog):
    with pytest.raises(AuthenticationError) as caught:
        await make_poet(api_key="sk-wrong-key").write(LUNA).final()

    url = openai_server.base_url
    assert caught.value.operator_hint == f"{url} refused the API key (401): check OPENAI_API_KEY"
    (line,) = [r.getMessage() for r in caplog.records if "failed during the request" in r.getMessage()]
    assert caught.value.operator_hint in line and "sk-wrong-key" not in line
