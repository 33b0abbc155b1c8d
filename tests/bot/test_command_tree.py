"""The slash commands as Discord receives them: documented names, Spanish descriptions."""

from __future__ import annotations

import discord
import pytest
import pytest_asyncio

from bot.client import EXTENSIONS, GenAIBot, ShardedGenAIBot
from bot.concurrency import WorkerPool
from bot.i18n import CommandTranslator
from bot.settings import Settings
from genai_models.text import Poet, PoetConfig

SPANISH = ("es-ES", "es-419")


@pytest_asyncio.fixture
async def payloads():
    """The translated payloads `tree.sync()` would send, built without touching the network."""
    poet = Poet(config=PoetConfig(base_url="http://127.0.0.1:9/v1", moderation="off"))
    with WorkerPool(workers=1, timeout_s=5) as pool:
        bot = GenAIBot(settings=Settings(), pool=pool, poet=poet, sync_commands=False)
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        translator = CommandTranslator()
        yield {
            command.name: await command.get_translated_payload(bot.tree, translator)
            for command in bot.tree.get_commands()
        }
    await poet.aclose()


def _options(payload):
    return {option["name"]: option for option in payload.get("options", [])}


@pytest.mark.asyncio
async def test_command_and_option_names_are_exactly_the_documented_ones(payloads):
    assert set(payloads) == {"poem", "digit", "morph", "latent-map", "train-status"}
    assert list(_options(payloads["poem"])) == ["topic", "form", "language"]
    assert list(_options(payloads["digit"])) == ["digit", "count", "seed"]
    assert list(_options(payloads["morph"])) == [
        "start", "end", "frames", "start_image", "end_image"
    ]


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


@pytest.mark.asyncio
async def test_poem_offers_spanish_and_english_and_every_form():
    from genai_models.text import FORMS

    poet = Poet(config=PoetConfig(base_url="http://127.0.0.1:9/v1", moderation="off"))
    with WorkerPool(workers=1, timeout_s=5) as pool:
        bot = GenAIBot(settings=Settings(), pool=pool, poet=poet, sync_commands=False)
        await bot.load_extension("bot.cogs.poems")
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
