"""The API key never shows in logs, error messages, tracebacks or reprs."""

from __future__ import annotations

import logging
import traceback

import pytest

from genai_models.errors import GenAIError
from genai_models.text import PoemRequest, Poet
from tests.fakes.openai_server import Fault
from tests.helpers import TEST_API_KEY

LUNA = PoemRequest(topic="la luna")


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records) + caplog.text


@pytest.mark.asyncio
async def test_key_is_not_logged_while_writing_a_poem(openai_server, make_poet, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, httpx2 and openai included

    await make_poet(moderation="on").write(LUNA).final()

    assert caplog.records  # the check below means something only if there were logs
    assert TEST_API_KEY not in _everything_logged(caplog)


@pytest.mark.asyncio
async def test_key_echoed_by_the_server_stays_out_of_logs_and_the_error(openai_server, make_poet, caplog):
    caplog.set_level(logging.DEBUG)
    openai_server.inject(Fault.UNAUTHORIZED)  # its message quotes the key it was given

    with pytest.raises(GenAIError) as caught:
        await make_poet().write(LUNA).final()

    error = caught.value
    shown = [str(error), repr(error), str(error.params), *traceback.format_exception(error)]
    assert TEST_API_KEY not in "\n".join(shown)
    assert TEST_API_KEY not in _everything_logged(caplog)
    assert "Incorrect API key provided: <redacted>" in caplog.text  # the operator still learns why


@pytest.mark.asyncio
async def test_key_stays_out_of_the_error_when_moderation_is_refused(openai_server, make_poet, caplog):
    caplog.set_level(logging.DEBUG)
    openai_server.inject(Fault.UNAUTHORIZED, endpoint="moderations")

    with pytest.raises(GenAIError) as caught:
        await make_poet(moderation="on").write(LUNA).final()

    assert TEST_API_KEY not in "".join(traceback.format_exception(caught.value))
    assert TEST_API_KEY not in _everything_logged(caplog)


@pytest.mark.asyncio
async def test_poet_and_config_reprs_hide_the_key(poet):
    assert TEST_API_KEY not in repr(poet)
    assert TEST_API_KEY not in repr(poet.config)
    assert "api_key=<set>" in repr(poet)


@pytest.mark.asyncio
async def test_key_is_sent_to_the_server_as_a_bearer_token(openai_server, poet: Poet):
    await poet.write(LUNA).final()

    assert openai_server.chat_requests[0].api_key == TEST_API_KEY


@pytest.mark.asyncio
async def test_credentials_in_the_base_url_are_not_logged(openai_server, make_poet, caplog):
    caplog.set_level(logging.DEBUG, logger="genai_models")
    openai_server.inject(Fault.SERVER_ERROR)
    base_url = openai_server.base_url.replace("http://", "http://proxyuser:pr0xy-pa55@")
    base_url += "?token=qu3ry-t0ken"

    with pytest.raises(GenAIError):
        await make_poet(base_url=base_url).write(LUNA).final()

    assert "failed during the request" in caplog.text
    assert "pr0xy-pa55" not in caplog.text
    assert "qu3ry-t0ken" not in caplog.text
