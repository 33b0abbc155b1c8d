"""Fixtures every test package uses: a clean environment, real MNIST digits, the shipped digit
model (loaded once: TensorFlow is slow), and the loopback Discord and OpenAI stand-ins."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from tests.fakes.discord_server import DiscordStandIn
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers import MNIST_SLICE, TEST_API_KEY

# Settings the product reads: a developer's own shell or .env must not change what a test sees.
PRODUCT_ENV_PREFIXES = ("OPENAI_", "DISCORD_", "GENAI_")
PRODUCT_ENV_NAMES = ("DEV_GUILD_ID", "LOG_LEVEL", "SHARD_COUNT", "SHARD_IDS")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(PRODUCT_ENV_PREFIXES) or name in PRODUCT_ENV_NAMES:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def mnist_slice_path() -> Path:
    return MNIST_SLICE


@pytest.fixture(scope="session")
def mnist_slice():
    from genai_models.vae.training.data import load_digits

    return load_digits(MNIST_SLICE)


@pytest.fixture(scope="session")
def sampler():
    """The weights shipped in the package, loaded once per test session."""
    from genai_models.vae.serving.sampler import DigitSampler

    return DigitSampler.load()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, mnist_slice) -> Path:
    """A model trained for two epochs on the 600-digit slice: quick, real, disposable."""
    from genai_models.vae.training.data import split
    from genai_models.vae.training.trainer import TrainingConfig, train

    out = tmp_path_factory.mktemp("tiny-model")
    train(split(mnist_slice), out, TrainingConfig(epochs=2, seed=3), verbose=0)
    return out


@pytest_asyncio.fixture
async def discord_server() -> AsyncIterator[DiscordStandIn]:
    lines = LogLines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(lines)
    root.setLevel(min(level, logging.INFO))
    try:
        # Leaving it fails the test if Discord would have refused a request the bot made
        # (its specification or its limits): see DiscordStandIn.take_rejections.
        async with DiscordStandIn() as server:
            yield server
    finally:
        root.removeHandler(lines)
        root.setLevel(level)
    # Whatever a test made the bot say, nothing a model or a user wrote may notify anyone.
    assert not server.store.pinged, f"the bot pinged: {server.store.pinged}"
    # Logs name users by a hash of their id (bot.logs.user_hash), never by the id itself.
    raw_ids = {str(user.id) for user in server.world.users.values() if not user.bot}
    leaks = [line for line in lines.lines if any(raw in line for raw in raw_ids)]
    assert not leaks, f"raw user ids in the log: {leaks}"


class LogLines(logging.Handler):
    """Every log line of a test at INFO and above, with its structured fields."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        extras = {k: v for k, v in vars(record).items() if k not in STANDARD_RECORD_FIELDS}
        self.lines.append(f"{record.getMessage()} {extras}")


STANDARD_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@pytest_asyncio.fixture
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    """A started FakeOpenAI that accepts only TEST_API_KEY. Fails the test on invalid bodies."""
    async with FakeOpenAI(api_key=TEST_API_KEY) as server:
        yield server


@pytest.fixture
def poet_config(openai_server: FakeOpenAI):
    """Config for the fake: no moderation, no retries, a short timeout."""
    from genai_models.text import PoetConfig

    return PoetConfig(
        api_key=TEST_API_KEY,
        base_url=openai_server.base_url,
        moderation="off",
        timeout_s=5.0,
        max_retries=0,
    )


@pytest_asyncio.fixture
async def make_poet(poet_config) -> AsyncIterator[Callable[..., object]]:
    """`make_poet(**config_changes)`: a Poet on the fake, closed after the test."""
    from genai_models.text import Poet

    poets: list[Poet] = []

    def make(**changes: object) -> Poet:
        poet = Poet(config=dataclasses.replace(poet_config, **changes))
        poets.append(poet)
        return poet

    yield make
    for poet in poets:
        await poet.aclose()


@pytest.fixture
def poet(make_poet):
    """A Poet on the fake with the default test config."""
    return make_poet()


# --- issue 13: a real PostgreSQL server (tests/postgres_server.py) ---


@dataclasses.dataclass(frozen=True)
class PostgresDatabase:
    """One empty database on the session's PostgreSQL server."""

    name: str
    url: str  # postgresql+asyncpg://…, as GENAI_DATABASE_URL takes it
    dsn: str  # postgresql://…, for asyncpg.connect


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server started once per session in a temporary folder, on a free port."""
    from tests.postgres_server import PostgresServer

    with PostgresServer() as server:
        yield server


@pytest.fixture
def own_postgres_server():
    """A PostgreSQL server for one test alone: for tests that stop and restart it."""
    from tests.postgres_server import PostgresServer

    with PostgresServer() as server:
        yield server


async def _fresh_database(server) -> PostgresDatabase:
    import secrets

    import asyncpg

    name = f"test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server.dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return PostgresDatabase(name=name, url=server.url(name), dsn=server.dsn(name))


async def _drop_database(server, database: PostgresDatabase) -> None:
    import asyncpg

    if not server.running:
        return
    admin = await asyncpg.connect(server.dsn())
    try:
        # FORCE: a bot under test may still hold pooled connections to it.
        await admin.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture
async def postgres_database(postgres_server) -> AsyncIterator[PostgresDatabase]:
    """A fresh, empty database on the session's server; dropped after the test."""
    database = await _fresh_database(postgres_server)
    yield database
    await _drop_database(postgres_server, database)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database, once an SQLite file and once a fresh PostgreSQL database: a test
    taking it runs on both databases the bot supports."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    return request.getfixturevalue("postgres_database").url
