"""The slash commands as Discord receives them: documented names, Spanish descriptions."""

from __future__ import annotations

import ast

import discord
import pytest
import pytest_asyncio
from discord import app_commands

from bot.client import EXTENSIONS, GenAIBot, ShardedGenAIBot
from bot.interactions.i18n import CommandTranslator
from bot.settings import Settings
from bot.worker_pool import WorkerPool
from genai_models.catalogue import CATALOGUE, base_key
from genai_models.text import Poet, PoetConfig
from tests.bot.test_i18n import SOURCES, every_code
from tests.helpers import SLASH_COMMANDS

SPANISH = ("es-ES", "es-419")


class RecordingTranslator(CommandTranslator):
    """The bot's translator, noting every string of the tree it is asked to translate."""

    def __init__(self) -> None:
        super().__init__()
        self.strings: list[tuple[app_commands.locale_str, str]] = []

    async def translate(self, string, locale, context):
        self.strings.append((string, context.location.name))
        return await super().translate(string, locale, context)


_NAMES = {"command_name", "group_name", "parameter_name"}


@pytest_asyncio.fixture
async def translated():
    """The translated payloads `tree.sync()` would send, built without touching the network,
    and the strings the translator was asked about."""
    poet = Poet(config=PoetConfig(base_url="http://127.0.0.1:9/v1", moderation="off"))
    with WorkerPool(workers=1, timeout_s=5) as pool:
        bot = GenAIBot(settings=Settings(), pool=pool, poet=poet, sync_commands=False)
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        translator = RecordingTranslator()
        payloads = {
            command.name: await command.get_translated_payload(bot.tree, translator)
            for command in bot.tree.get_commands()
        }
        yield payloads, translator.strings
    await poet.aclose()


@pytest.fixture
def payloads(translated):
    """The slash commands' payloads."""
    return {name: p for name, p in translated[0].items() if p.get("type", 1) == 1}


@pytest.fixture
def menus(translated):
    """The message commands' payloads (Apps → …)."""
    return {name: p for name, p in translated[0].items() if p.get("type", 1) == 3}


@pytest.fixture
def command_keys(translated) -> set[str]:
    return {s.extras["key"] for s, location in translated[1] if location not in _NAMES}


def _options(payload):
    return {option["name"]: option for option in payload.get("options", [])}


@pytest.mark.asyncio
async def test_command_and_option_names_are_exactly_the_documented_ones(payloads):
    assert set(payloads) == SLASH_COMMANDS | {"poem"}
    assert list(_options(payloads["poem"])) == ["topic", "form", "language"]
    train, model = _options(payloads["train"]), _options(payloads["model"])
    assert list(train) == ["start", "cancel"] and list(model) == ["info", "rollback"]
    assert list(_options(train["start"])) == ["epochs", "seed"]
    assert list(_options(payloads["digit"])) == ["digit", "count", "seed"]
    assert list(_options(payloads["morph"])) == ["start", "end", "frames", "start_image", "end_image"]
    assert list(_options(payloads["handwriting"])) == ["image", "digit"]
    assert list(_options(payloads["latent-map"])) == ["digit"]


@pytest.mark.asyncio
async def test_message_commands_are_named_in_each_language(menus):
    """A context menu's name is its only label: unlike a slash command's, it is translated."""
    assert set(menus) == {"Write a poem about this", "Handwriting → digits"}
    for payload in menus.values():
        assert set(payload["name_localizations"]) == set(SPANISH)
    assert menus["Write a poem about this"]["name_localizations"]["es-419"] == (
        "Escribir un poema sobre esto"
    )


@pytest.mark.asyncio
async def test_names_are_never_localised(payloads):
    for payload in payloads.values():
        assert not payload.get("name_localizations")
        for option in payload.get("options", []):
            assert not option.get("name_localizations")


@pytest.mark.asyncio
async def test_every_description_and_choice_label_has_spanish(payloads):
    for name, payload in payloads.items():
        assert set(payload["description_localizations"]) == set(SPANISH), name
        for option in payload.get("options", []):
            assert set(option["description_localizations"]) == set(SPANISH), option["name"]
            for choice in option.get("choices", []):
                assert set(choice["name_localizations"]) == set(SPANISH), choice["value"]


@pytest.mark.asyncio
async def test_options_carry_the_documented_ranges(payloads):
    digit, morph = _options(payloads["digit"]), _options(payloads["morph"])
    assert (digit["digit"]["min_value"], digit["digit"]["max_value"]) == (0, 9)
    assert (digit["count"]["min_value"], digit["count"]["max_value"]) == (1, 25)
    assert not digit["digit"]["required"] and not digit["count"]["required"]
    assert morph["start"]["required"] and morph["end"]["required"]
    assert morph["start_image"]["type"] == discord.AppCommandOptionType.attachment.value
    assert _options(payloads["poem"])["topic"]["max_length"] == 300
    handwriting = _options(payloads["handwriting"])
    assert handwriting["image"]["required"] and not handwriting["digit"]["required"]
    assert handwriting["image"]["type"] == discord.AppCommandOptionType.attachment.value
    assert (handwriting["digit"]["min_value"], handwriting["digit"]["max_value"]) == (0, 9)


@pytest.mark.asyncio
async def test_poem_offers_spanish_and_english_and_every_form():
    from genai_models.text import FORMS

    poet = Poet(config=PoetConfig(base_url="http://127.0.0.1:9/v1", moderation="off"))
    with WorkerPool(workers=1, timeout_s=5) as pool:
        bot = GenAIBot(settings=Settings(), pool=pool, poet=poet, sync_commands=False)
        await bot.load_extension("bot.features.poems.cog")
        payload = bot.tree.get_command("poem").to_dict(bot.tree)
    await poet.aclose()
    options = _options(payload)
    assert [c["value"] for c in options["language"]["choices"]] == ["es", "en"]
    assert [c["value"] for c in options["form"]["choices"]] == list(FORMS)


@pytest.mark.asyncio
async def test_without_a_poet_there_is_no_poem_command():
    with WorkerPool(workers=1, timeout_s=5) as pool:
        bot = GenAIBot(settings=Settings(), pool=pool, poet=None, sync_commands=False)
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        assert bot.tree.get_command("poem") is None
        assert bot.tree.get_command("digit") is not None


@pytest.mark.asyncio
async def test_the_sharded_bot_is_the_same_bot_over_several_shards():
    with WorkerPool(workers=1, timeout_s=5) as pool:
        bot = ShardedGenAIBot(settings=Settings(), pool=pool, sync_commands=False)
        assert isinstance(bot, discord.AutoShardedClient)
        assert bot.pool is pool


@pytest.mark.asyncio
async def test_every_description_and_label_has_a_key_with_a_text_in_every_language(translated):
    described = [(s, where) for s, where in translated[1] if where not in _NAMES]
    assert len(described) > 30
    for string, where in described:
        key = string.extras.get("key")
        assert key is not None, (string.message, where)
        assert string.message == CATALOGUE.render(key, "en"), key
        for lang in CATALOGUE.languages:
            assert CATALOGUE.has(key, lang), (key, lang)


def test_every_key_in_a_locale_file_is_used_by_the_code(command_keys):
    # a key is used when it is an error code, a command tree key, or a string in the source
    literals = {
        node.value
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    used = every_code() | literals | command_keys
    for lang in CATALOGUE.languages:
        orphans = {key for key in CATALOGUE.keys(lang) if base_key(key) not in used}
        assert not orphans, lang
