"""/morph with users' own handwritten digits: accepted images, and every refusal."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fakes.discord_server import Upload
from tests.helpers import image_of, png_of

MNIST_SLICE = Path(__file__).resolve().parents[1] / "fixtures" / "mnist-600.npz"
DISCORD_WINDOW_S = 3.0


def handwritten(label: int) -> bytes:
    """A real MNIST digit, drawn dark on white and enlarged, like a photo of paper."""
    data = np.load(MNIST_SLICE)
    image = data["x_train"][data["y_train"] == label][0] / 255.0
    return png_of(image, scale=10)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` × `height` 1-bit pixels: the shape of a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


async def _refusal(server, ix):
    reply = await server.wait_for_reply(ix, lambda r: r.content)
    assert reply.ephemeral, reply
    assert reply.elapsed < DISCORD_WINDOW_S
    return reply


@pytest.mark.asyncio
async def test_a_users_own_digit_starts_the_morph(discord_server, start_bot, sampler):
    upload = Upload("my-three.png", handwritten(3))
    async with start_bot():
        ix = await discord_server.inject_command(
            "morph", {"start": 0, "end": 7, "frames": 8, "start_image": upload}
        )
        reply = await discord_server.wait_for_reply(ix, lambda r: r.files)
    gif = image_of(reply.files[0].data)
    assert gif.n_frames == 2 * 8 - 2
    assert reply.embeds[0]["title"] == "your image → 7"
    # The walk starts exactly at the user's digit: its own encoding and class, decoded.
    from genai_models.vae.serving.preprocess import to_mnist

    mnist_like = to_mnist(upload.data)
    expected = (
        sampler.draw(sampler.encode_mnist(mnist_like)[None, :], sampler.classify_mnist(mnist_like)[None, :])[
            0
        ]
        / 255
    )
    first_frame = np.asarray(gif.convert("L"), dtype="float32")[::8, ::8] / 255  # 224 px → 28
    assert np.abs(first_frame - expected).mean() < 0.03


@pytest.mark.asyncio
async def test_both_ends_can_be_users_images(discord_server, start_bot):
    async with start_bot():
        ix = await discord_server.inject_command(
            "morph",
            {
                "start": 0, "end": 0, "frames": 4,
                "start_image": Upload("a.png", handwritten(2)),
                "end_image": Upload("b.jpg", _jpeg(handwritten(5))),
            },
            locale="es-419",
        )  # fmt: skip
        reply = await discord_server.wait_for_reply(ix, lambda r: r.files)
    assert reply.embeds[0]["title"] == "tu imagen → tu imagen"
    assert image_of(reply.files[0].data).n_frames == 6


def _jpeg(png: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.asyncio
async def test_a_file_that_is_not_an_image_type_is_refused_at_once(discord_server, start_bot):
    async with start_bot():
        ix = await discord_server.inject_command(
            "morph", {"start": 1, "end": 2, "end_image": Upload("notes.txt", b"hello")}
        )
        reply = await _refusal(discord_server, ix)
    assert reply.callback_type == 4  # refused in the callback itself: nothing was deferred
    assert "`notes.txt` is not an image" in reply.content
    assert not [r for r in discord_server.requests.items if "/attachments/" in r.path]


@pytest.mark.asyncio
async def test_an_image_over_8_mb_is_refused_with_the_limit(discord_server, start_bot):
    big = Upload("huge.png", b"\x89PNG" + bytes(9 * 1024 * 1024), content_type="image/png")
    async with start_bot():
        ix = await discord_server.inject_command("morph", {"start": 1, "end": 2, "start_image": big})
        reply = await _refusal(discord_server, ix)
    assert "can be up to 8 MB" in reply.content


@pytest.mark.asyncio
async def test_an_image_over_4096_pixels_a_side_is_refused(discord_server, start_bot):
    buffer = io.BytesIO()
    Image.new("L", (5000, 20), 255).save(buffer, format="PNG")
    wide = Upload("wide.png", buffer.getvalue())
    async with start_bot():
        ix = await discord_server.inject_command("morph", {"start": 1, "end": 2, "start_image": wide})
        reply = await _refusal(discord_server, ix)
    assert "5000×20 pixels" in reply.content
    assert "4096×4096" in reply.content


@pytest.mark.asyncio
async def test_a_decompression_bomb_is_refused_without_decoding_it(discord_server, start_bot):
    bomb = Upload("innocent.png", png_header_only(60_000, 60_000))
    async with start_bot():
        ix = await discord_server.inject_command("morph", {"start": 1, "end": 2, "end_image": bomb})
        reply = await _refusal(discord_server, ix)
    assert "pixels" in reply.content


@pytest.mark.asyncio
async def test_bytes_that_only_claim_to_be_an_image_are_refused_by_the_decoder(discord_server, start_bot):
    fake = Upload("digit.png", b"this is not a png at all", content_type="image/png")
    async with start_bot():
        ix = await discord_server.inject_command(
            "morph", {"start": 1, "end": 2, "start_image": fake}, locale="es-ES"
        )
        reply = await _refusal(discord_server, ix)
    assert reply.content.startswith("El archivo no es una imagen")


@pytest.mark.asyncio
async def test_a_blank_drawing_is_refused_clearly(discord_server, start_bot):
    buffer = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buffer, format="PNG")
    async with start_bot():
        ix = await discord_server.inject_command(
            "morph", {"start": 1, "end": 2, "start_image": Upload("blank.png", buffer.getvalue())}
        )
        reply = await _refusal(discord_server, ix)
    assert "blank" in reply.content
