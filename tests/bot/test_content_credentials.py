"""The images the bot posts carry signed Content Credentials (read back from the bytes the
loopback Discord received), uploads are named by hash only, and /about says what the signature
proves, in both languages."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bot.cli.signing import make_signer
from bot.settings import Settings
from genai_models.imaging import content_credentials
from genai_models.imaging.credential_report import read_credentials
from genai_models.imaging.local_authority import SIGNING_ALGORITHM
from tests.fakes.discord_server import Upload
from tests.helpers import MNIST_SLICE, TRAINED_ALGORITHMIC_MEDIA, png_of


@pytest.fixture
def signing(tmp_path):
    """What `genai-bot run` installs at start-up with no certificate set: the local authority."""
    content_credentials.install(make_signer(Settings(data_dir=tmp_path / "data")))
    yield tmp_path / "data" / "c2pa"
    content_credentials.install(None)


def _handwritten(label: int) -> bytes:
    data = np.load(MNIST_SLICE)
    return png_of(data["x_train"][data["y_train"] == label][0] / 255.0, scale=10)


async def _file(server, name: str, options: dict, **kwargs):
    ix = await server.inject_command(name, options, **kwargs)
    reply = await server.wait_for_reply(ix, lambda r: r.files, timeout=30)
    return reply.files[0].data


@pytest.mark.asyncio
async def test_digit_morph_and_handwriting_files_verify_as_made_by_the_serving_model(
    discord_server, start_bot, sampler, signing
):
    four, two = _handwritten(4), _handwritten(2)
    async with start_bot():
        digit = await _file(discord_server, "digit", {"digit": 5, "count": 4, "seed": 77})
        morph = await _file(
            discord_server, "morph", {"start": 0, "end": 7, "frames": 6, "start_image": Upload("a.png", two)}
        )
        hand = await _file(discord_server, "handwriting", {"image": Upload("my-four.png", four)})
    for data in (digit, morph, hand):
        report = read_credentials(data)
        assert report.valid and not report.changed, report.problems
        assert report.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
        assert report.model == f"VAE {sampler.version}"
    assert read_credentials(digit).model_parameters["seed"] == 77
    assert read_credentials(digit).ingredients == ()  # nobody's image went into /digit
    for data, upload in ((morph, two), (hand, four)):
        (ingredient,) = read_credentials(data).ingredients
        assert ingredient["sha256"] == hashlib.sha256(upload).hexdigest()
        assert ingredient["format"] == "image/png"
        assert upload[100:164] not in data  # the upload's bytes stay out of the file


@pytest.mark.asyncio
async def test_about_says_the_local_signature_shows_tampering_but_is_not_trusted(
    discord_server, start_bot, signing
):
    async with start_bot():
        english = await (await discord_server.inject_command("about")).wait_for_callback()
        spanish = await (
            await discord_server.inject_command("about", user=discord_server.bob)
        ).wait_for_callback()
    fields = {f["name"]: f["value"] for f in english.embeds[0]["fields"]}
    assert "not from a trusted issuer" in fields["Content Credentials"]
    assert "genai-bot verify" not in fields["Content Credentials"]  # that's the trusted text
    campos = {f["name"]: f["value"] for f in spanish.embeds[0]["fields"]}
    assert "no de un emisor de confianza" in campos["Credenciales de contenido"]


@pytest.mark.asyncio
async def test_about_names_the_operators_certificate_when_one_is_set(discord_server, start_bot, signing):
    # The local authority's files stand in for an operator's certificate from a real issuer.
    settings = Settings(
        c2pa_cert=signing / "signer.pem", c2pa_key=signing / "signer.key", c2pa_alg=SIGNING_ALGORITHM
    )
    content_credentials.install(make_signer(settings))
    async with start_bot():
        reply = await (await discord_server.inject_command("about")).wait_for_callback()
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert "signed by genai-bot (local, untrusted), genai-bot" in fields["Content Credentials"]
    assert "genai-bot verify" in fields["Content Credentials"]
