"""Fixtures for the poet's tests: a FakeOpenAI server on loopback and poets pointed at it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from genai_models.text import Poet, PoetConfig
from tests.fakes.openai_server import FakeOpenAI

# Key-shaped but plainly fake, and distinctive: any leak of it into logs or messages is easy to
# find, and no secret scanner mistakes it for a real key.
TEST_API_KEY = "sk-test-FAKE-loopback-only-key"


@pytest_asyncio.fixture
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    """A started FakeOpenAI that accepts only TEST_API_KEY. Fails the test on invalid bodies."""
    async with FakeOpenAI(api_key=TEST_API_KEY) as server:
        yield server


@pytest.fixture
def poet_config(openai_server: FakeOpenAI) -> PoetConfig:
    """Config for the fake: no moderation, no retries, a short timeout."""
    return PoetConfig(
        api_key=TEST_API_KEY,
        base_url=openai_server.base_url,
        moderation="off",
        timeout_s=5.0,
        max_retries=0,
    )


@pytest_asyncio.fixture
async def make_poet(poet_config: PoetConfig) -> AsyncIterator[Callable[..., Poet]]:
    """`make_poet(**config_changes)`: a Poet on the fake, closed after the test."""
    poets: list[Poet] = []

    def make(**changes: object) -> Poet:
        poet = Poet(config=dataclasses.replace(poet_config, **changes))
        poets.append(poet)
        return poet

    yield make
    for poet in poets:
        await poet.aclose()


@pytest.fixture
def poet(make_poet: Callable[..., Poet]) -> Poet:
    """A Poet on the fake with the default test config."""
    return make_poet()
